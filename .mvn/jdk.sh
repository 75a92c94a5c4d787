# Sourced by ./mvnw, ./gatehouse and .ci/run (POSIX sh): makes JAVA_HOME a JDK >= 21 when it is not
# one already (the default java may be older): JAVA_HOME if it is one, else the newest JDK found in
# the standard places. Defines pick_jdk, which returns 1 with a message naming where it looked.
gatehouse_jdk_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] &&
    [ "$(gatehouse_jdk_major "$JAVA_HOME" || echo 0)" -ge 21 ] 2>/dev/null; then
    export JAVA_HOME
    return 0
  fi
  gatehouse_best="" gatehouse_best_major=0 gatehouse_noglob=""
  case $- in *f*) gatehouse_noglob=1 && set +f ;; esac # the callers may have turned globbing off
  gatehouse_on_path=$(command -v javac 2>/dev/null || true)
  [ -n "$gatehouse_on_path" ] && gatehouse_on_path=$(dirname "$(dirname "$(readlink -f "$gatehouse_on_path")")")
  for gatehouse_candidate in $gatehouse_on_path /usr/lib/jvm/* /usr/lib64/jvm/* /opt/java/* /opt/jdk* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$gatehouse_candidate/bin/javac" ] || continue
    gatehouse_major=$(gatehouse_jdk_major "$gatehouse_candidate") || continue
    if [ "${gatehouse_major:-0}" -ge 21 ] 2>/dev/null && [ "$gatehouse_major" -gt "$gatehouse_best_major" ]; then
      gatehouse_best=$gatehouse_candidate gatehouse_best_major=$gatehouse_major
    fi
  done
  [ -z "$gatehouse_noglob" ] || set -f
  if [ -z "$gatehouse_best" ]; then
    echo "no JDK 21 or newer (looked at JAVA_HOME, javac on PATH, /usr/lib/jvm, /usr/lib64/jvm, /opt)" >&2
    return 1
  fi
  JAVA_HOME=$gatehouse_best
  export JAVA_HOME
}

# gatehouse_runtime_opts JDK: the JVM options Gatehouse runs with on that JDK whatever the memory
# options: from JDK 23 on, sun.misc.Unsafe's memory access allowed, which Netty then uses for its
# buffers (from JDK 25 it does only when the JVM says so; without it a proxied request costs more:
# docs/benchmarks.md, "In-place headers, one answer timer a connection, and Netty's buffers through
# Unsafe").
gatehouse_runtime_opts() {
  gatehouse_major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true)
  [ -n "$gatehouse_major" ] || gatehouse_major=$(gatehouse_jdk_major "$1" || echo 0)
  if [ "$gatehouse_major" -ge 23 ] 2>/dev/null; then
    echo "--sun-misc-unsafe-memory-access=allow"
  fi
}
