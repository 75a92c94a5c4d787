# gatehouse serve | gateway | tenants | verify, on a Java runtime of only the modules it uses.
#   docker build -t gatehouse .
#   docker run -p 8080:8080 gatehouse serve
# See docs/operations.md.

FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests package -pl gatehouse-cli -am \
 && deploy/jlink.sh gatehouse-cli/target/gatehouse.jar /opt/jre

FROM debian:bookworm-slim
COPY --from=build /opt/jre /opt/jre
COPY --from=build /src/gatehouse-cli/target/gatehouse.jar /opt/gatehouse/gatehouse.jar
RUN useradd --system --uid 10001 --no-create-home gatehouse
USER 10001
# the admin listener (metrics, /healthz, /readyz) on the container's address, for probes and scrapes
ENV GATEHOUSE_ADMIN_HOST=0.0.0.0 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8080 9090
# bash's /dev/tcp: the slim image has no curl
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /readyz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -c 12 <&3 | grep -q ' 200'"]
ENTRYPOINT ["/opt/jre/bin/java", "-jar", "/opt/gatehouse/gatehouse.jar"]
CMD ["serve"]
