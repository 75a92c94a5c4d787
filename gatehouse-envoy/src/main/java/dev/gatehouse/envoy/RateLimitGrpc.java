package dev.gatehouse.envoy;

import com.google.protobuf.Duration;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.envoy.wire.core.HeaderValue;
import dev.gatehouse.envoy.wire.descriptor.RateLimitDescriptor;
import dev.gatehouse.envoy.wire.rls.RateLimitRequest;
import dev.gatehouse.envoy.wire.rls.RateLimitResponse;
import dev.gatehouse.http.ThrottledWarning;
import dev.gatehouse.rate.envoy.Descriptor;
import dev.gatehouse.rate.envoy.EnvoyRateLimits;
import dev.gatehouse.rate.envoy.RateLimitRule;
import dev.gatehouse.rate.envoy.Unit;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.ratelimit.v3.RateLimitService}: Envoy's request read into the domain's terms,
 * judged by {@link EnvoyRateLimits}, and its verdict written back as Envoy reads it. A request out of
 * shape or bounds is {@code INVALID_ARGUMENT} with the reason; counters that cannot be reached are
 * {@code UNAVAILABLE} (Envoy then applies its {@code failure_mode_deny}).
 */
final class RateLimitGrpc {

    /** Why counters did not answer, at most once a minute: a flood of refused calls is not a flood of lines. */
    private static final ThrottledWarning UNAVAILABLE_LOG = new ThrottledWarning(
            LoggerFactory.getLogger(RateLimitGrpc.class),
            "rate-limit counters did not answer",
            60_000,
            WallClock.system());

    /** The service's name on the wire. */
    static final String SERVICE = "envoy.service.ratelimit.v3.RateLimitService";

    /**
     * A request as read off the wire: the message, or the status that says why the bytes are none
     * ({@code INVALID_ARGUMENT}; {@code RESOURCE_EXHAUSTED} for a compressed message that inflates past
     * the bound), where grpc-java would answer a parse failure {@code UNKNOWN} and log it.
     */
    private record Parsed(@Nullable RateLimitRequest request, Status refusal) {}

    /** Reads requests without throwing; writes them as protobuf. */
    private static final class RequestMarshaller implements MethodDescriptor.Marshaller<Parsed> {
        @Override
        public InputStream stream(Parsed value) {
            RateLimitRequest request = value.request();
            return (request == null ? RateLimitRequest.getDefaultInstance() : request)
                    .toByteString()
                    .newInput();
        }

        @Override
        public Parsed parse(InputStream stream) {
            try (stream) {
                return new Parsed(RateLimitRequest.parseFrom(stream), Status.OK);
            } catch (IOException e) { // InvalidProtocolBufferException among them
                return new Parsed(
                        null, Status.INVALID_ARGUMENT.withDescription("not a RateLimitRequest: " + e.getMessage()));
            } catch (StatusRuntimeException e) { // the inflating stream past the message bound
                return new Parsed(null, e.getStatus().withCause(null));
            } catch (RuntimeException e) {
                return new Parsed(null, Status.INVALID_ARGUMENT.withDescription("not a RateLimitRequest: " + e));
            }
        }
    }

    /** {@code ShouldRateLimit}, a unary call. */
    private static final MethodDescriptor<Parsed, RateLimitResponse> SHOULD_RATE_LIMIT =
            MethodDescriptor.<Parsed, RateLimitResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "ShouldRateLimit"))
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(ProtoUtils.marshaller(RateLimitResponse.getDefaultInstance()))
                    .build();

    /** Hears each answer, for metrics. */
    interface Listener {
        void answered(String outcome);
    }

    private RateLimitGrpc() {}

    /** The service over {@code limits}. */
    static ServerServiceDefinition service(EnvoyRateLimits limits, Listener listener) {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(
                        SHOULD_RATE_LIMIT, ServerCalls.<Parsed, RateLimitResponse>asyncUnaryCall((parsed, answer) -> {
                            RateLimitRequest request = parsed.request();
                            if (request == null) {
                                listener.answered("invalid");
                                answer.onError(parsed.refusal().asRuntimeException());
                            } else {
                                judge(limits, listener, request, answer);
                            }
                        }))
                .build();
    }

    private static void judge(
            EnvoyRateLimits limits,
            Listener listener,
            RateLimitRequest request,
            StreamObserver<RateLimitResponse> answer) {
        List<Descriptor> descriptors;
        try {
            descriptors = descriptors(request);
        } catch (IllegalArgumentException e) {
            listener.answered("invalid");
            answer.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        limits.shouldRateLimit(request.getDomain(), descriptors, Integer.toUnsignedLong(request.getHitsAddend()))
                .whenComplete((verdict, failure) -> {
                    if (failure == null) {
                        listener.answered(verdict.overall() == EnvoyRateLimits.Code.OK ? "ok" : "over_limit");
                        answer.onNext(response(verdict));
                        answer.onCompleted();
                        return;
                    }
                    Throwable cause =
                            failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                                    ? failure.getCause()
                                    : failure;
                    if (cause instanceof EnvoyRateLimits.InvalidRequestException) {
                        listener.answered("invalid");
                        answer.onError(Status.INVALID_ARGUMENT
                                .withDescription(cause.getMessage())
                                .asRuntimeException());
                    } else {
                        listener.answered("unavailable");
                        UNAVAILABLE_LOG.warn("ShouldRateLimit", cause);
                        answer.onError(Status.UNAVAILABLE
                                .withDescription("the rate-limit counters cannot be reached")
                                .asRuntimeException());
                    }
                });
    }

    /** The request's descriptors in the domain's terms; an override with an unknown unit is refused. */
    private static List<Descriptor> descriptors(RateLimitRequest request) {
        List<Descriptor> descriptors = new ArrayList<>(request.getDescriptorsCount());
        for (int i = 0; i < request.getDescriptorsCount(); i++) {
            RateLimitDescriptor wire = request.getDescriptors(i);
            List<Descriptor.Entry> entries = new ArrayList<>(wire.getEntriesCount());
            for (RateLimitDescriptor.Entry entry : wire.getEntriesList()) {
                entries.add(new Descriptor.Entry(entry.getKey(), entry.getValue()));
            }
            Optional<Descriptor.LimitOverride> override = Optional.empty();
            if (wire.hasLimit()) {
                int number = wire.getLimit().getUnitValue();
                int index = i;
                Unit unit = Unit.ofNumber(number)
                        .filter(known -> known != Unit.WEEK) // the override's unit type has no week
                        .orElseThrow(() -> new IllegalArgumentException(
                                "descriptors[" + index + "].limit.unit: " + number + " (expected: SECOND to YEAR)"));
                override = Optional.of(new Descriptor.LimitOverride(
                        Integer.toUnsignedLong(wire.getLimit().getRequestsPerUnit()), unit));
            }
            OptionalLong hits =
                    wire.hasHitsAddend() ? OptionalLong.of(wire.getHitsAddend().getValue()) : OptionalLong.empty();
            if (hits.isPresent() && hits.getAsLong() < 0) { // an unsigned 64-bit count past Long.MAX_VALUE
                throw new IllegalArgumentException("descriptors[" + i + "].hits_addend: too large");
            }
            descriptors.add(new Descriptor(entries, override, hits));
        }
        return descriptors;
    }

    private static RateLimitResponse response(EnvoyRateLimits.Verdict verdict) {
        RateLimitResponse.Builder response = RateLimitResponse.newBuilder().setOverallCode(code(verdict.overall()));
        for (EnvoyRateLimits.Status status : verdict.statuses()) {
            RateLimitResponse.DescriptorStatus.Builder wire = RateLimitResponse.DescriptorStatus.newBuilder()
                    .setCode(code(status.code()))
                    .setLimitRemaining((int) Math.min(status.remaining(), EnvoyRateLimits.UNLIMITED_REMAINING));
            if (status.limit().isPresent()) {
                RateLimitRule rule = status.limit().get();
                RateLimitResponse.RateLimit.Builder limit = RateLimitResponse.RateLimit.newBuilder()
                        .setRequestsPerUnit((int) rule.requestsPerUnit())
                        .setUnitValue(rule.unit().number());
                rule.name().ifPresent(limit::setName);
                wire.setCurrentLimit(limit)
                        .setDurationUntilReset(Duration.newBuilder().setSeconds(status.secondsUntilReset()));
            }
            response.addStatuses(wire);
        }
        for (EnvoyRateLimits.Header header : verdict.responseHeaders()) {
            response.addResponseHeadersToAdd(
                    HeaderValue.newBuilder().setKey(header.name()).setValue(header.value()));
        }
        return response.build();
    }

    private static RateLimitResponse.Code code(EnvoyRateLimits.Code code) {
        return switch (code) {
            case OK -> RateLimitResponse.Code.OK;
            case OVER_LIMIT -> RateLimitResponse.Code.OVER_LIMIT;
        };
    }
}
