#!/usr/bin/env bash
# Makes a Java runtime holding only the modules gatehouse.jar uses: jlink.sh <gatehouse.jar> <output dir>.
# Used by the Dockerfile and by the cli module's JlinkedRuntimeIT, which starts the jar on it.
set -euo pipefail
jar=$1
out=$2
bin=${JAVA_HOME:+$JAVA_HOME/bin/}
# jdeps finds the modules the classes use; jdk.crypto.ec holds the JDK's elliptic curves on Java 21
# (TLS to Redis or PostgreSQL, the client SDK's Ed25519), which nothing names statically
modules=$("${bin}jdeps" --ignore-missing-deps --print-module-deps --multi-release 21 "$jar")
"${bin}jlink" --add-modules "$modules,jdk.crypto.ec" \
  --strip-debug --no-header-files --no-man-pages --output "$out"
