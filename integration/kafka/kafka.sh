#!/usr/bin/env bash
# Run a genuine single-node Apache Kafka broker (KRaft, broker+controller in one
# JVM) from Maven Central jars, for integration tests and CI. No Docker needed:
# only Java 17+ and Maven.
#
#   integration/kafka/kafka.sh start      fetch jars if needed, format a fresh data dir, start, wait until ready
#   integration/kafka/kafka.sh stop       SIGTERM, wait, then SIGKILL
#   integration/kafka/kafka.sh restart    stop + start (new, empty cluster)
#   integration/kafka/kafka.sh status     exit 0 if running, 3 if not
#   integration/kafka/kafka.sh logs [N|-f]  last N (default 100) log lines, or follow
#   integration/kafka/kafka.sh fetch      only download the jars
#   integration/kafka/kafka.sh classpath  print the classpath ('<libs>/*')
#   integration/kafka/kafka.sh run CLASS [ARGS...]  run a Kafka tool, e.g.
#       kafka.sh run org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#   integration/kafka/kafka.sh clean      stop and delete this port's data, logs and PID file (keeps the jars)
#   integration/kafka/kafka.sh secure-env print the KAFKA_TEST_* variables of a KAFKA_SECURE=1 broker as
#       `export NAME=value` lines: eval "$(integration/kafka/kafka.sh secure-env)"
#
# Then point the tests at it: KAFKA_BROKERS=127.0.0.1:9092 go test ./...
#
# start and stop are idempotent: start while running succeeds without doing
# anything, stop while stopped succeeds. Every start formats a fresh data dir
# with a new cluster id, so each start is an empty cluster.
#
# Environment (all optional):
#   KAFKA_PORT               client listener port                   (default 9092)
#   KAFKA_CONTROLLER_PORT    KRaft controller port                  (default KAFKA_PORT+1)
#   KAFKA_HOST               listen/advertised address              (default 127.0.0.1)
#   KAFKA_HOME_DIR           jar cache + state root                 (default <this dir>/.cache, git-ignored)
#   KAFKA_STATE_DIR          data, log, PID file of this broker     (default $KAFKA_HOME_DIR/broker-$KAFKA_PORT)
#   KAFKA_KEEP_DATA          1: start on this port's existing data  (default 0: fresh cluster)
#                            (a broker restart in an outage test)
#   KAFKA_START_TIMEOUT      seconds to wait for readiness          (default 90)
#   KAFKA_STOP_TIMEOUT       seconds to wait after SIGTERM          (default 30)
#   KAFKA_HEAP_OPTS          JVM heap flags                         (default -Xms128m -Xmx512m)
#   KAFKA_JVM_OPTS           extra JVM flags
#   KAFKA_EXTRA_PROPERTIES   extra server.properties lines (newline separated), appended last
#   KAFKA_MVN_ARGS           extra Maven arguments, e.g. -Dmaven.repo.local=/path or -o
#   JAVA / JAVA_HOME         Java 17+ to use                        (default java on PATH)
#   MVN                      Maven to use                           (default mvn on PATH)
#   KAFKA_SECURE             1: add the secured listeners below     (default 0: PLAINTEXT only, as always)
#   KAFKA_SASL_SSL_PORT      SASL_SSL listener port                 (default KAFKA_PORT+2; KAFKA_SECURE=1)
#   KAFKA_MTLS_PORT          SSL (mutual TLS) listener port         (default KAFKA_PORT+3; KAFKA_SECURE=1)
#   GO                       Go to build the test PKI generator     (default go on PATH; KAFKA_SECURE=1)
#
# Secured listeners (KAFKA_SECURE=1), beside the unchanged PLAINTEXT client
# listener (KAFKA_PORT) and CONTROLLER listener (KAFKA_PORT+1):
#   SASL_SSL  KAFKA_PORT+2  TLS (server certificate only) + SASL: SCRAM-SHA-512,
#                           SCRAM-SHA-256, PLAIN, OAUTHBEARER
#   SSL       KAFKA_PORT+3  mutual TLS: ssl.client.auth=required
# Test PKI: every start builds integration/cmd/testpki from this checkout (into
# $KAFKA_HOME_DIR/bin) and writes a fresh CA, server and client certificates
# (ECDSA P-256, unencrypted PKCS#8 keys) into $KAFKA_STATE_DIR/pki; the server
# certificate names KAFKA_HOST, 127.0.0.1 and localhost. With KAFKA_KEEP_DATA=1
# a complete, still valid PKI is kept, so clients that loaded it keep working
# across the restart. Nothing there is ever committed (.cache is git-ignored).
# Principals (fixed, test-only credentials):
#   bridge / bridge-secret  SCRAM-SHA-512 and SCRAM-SHA-256 (created by StorageTool
#                           format --add-scram) and PLAIN (the listener's JAAS config)
#   noacl  / noacl-secret   the same mechanisms; has no ACLs at all, so it gets
#                           TOPIC_/CLUSTER_/TRANSACTIONAL_ID_/GROUP_AUTHORIZATION_FAILED
#   OAUTHBEARER             Kafka's default unsecured JWT validator: a token
#                           base64url({"alg":"none"}).base64url({"sub":NAME,"exp":...}).
#                           (empty signature; exp required, in seconds) is User:NAME
#   mTLS                    client certificate with subject CN=bridge, signed by the test
#                           CA; ssl.principal.mapping.rules maps it to User:bridge
# So the bridge is User:bridge on every secured listener.
# Authorization: StandardAuthorizer, allow.everyone.if.no.acl.found=false,
# super.users=User:ANONYMOUS;User:bridge. ANONYMOUS is every client of the
# PLAINTEXT and CONTROLLER listeners, so plain clients and the broker itself
# are unaffected. Any other principal (noacl, another JWT subject) is denied
# everything until a test grants it ACLs.
# After a successful start $KAFKA_STATE_DIR/secure.env (printed by secure-env) holds:
#   KAFKA_TEST_SASL_SSL_BROKERS   host:port of the SASL_SSL listener
#   KAFKA_TEST_MTLS_BROKERS       host:port of the SSL (mTLS) listener
#   KAFKA_TEST_CA_FILE            the CA of the broker and client certificates (PEM)
#   KAFKA_TEST_OTHER_CA_FILE      an unrelated CA (PEM): trusting only it fails the handshake
#   KAFKA_TEST_CLIENT_CERT_FILE   client certificate CN=bridge (PEM)
#   KAFKA_TEST_CLIENT_KEY_FILE    its key (PKCS#8 PEM)
#   KAFKA_TEST_ROGUE_CERT_FILE    client certificate CN=bridge signed by the other CA (rejected)
#   KAFKA_TEST_ROGUE_KEY_FILE     its key (PKCS#8 PEM)
#   KAFKA_TEST_SASL_USERNAME      bridge (a super user)
#   KAFKA_TEST_SASL_PASSWORD      its password (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN)
#   KAFKA_TEST_NOACL_USERNAME     noacl (authenticates, is authorized for nothing)
#   KAFKA_TEST_NOACL_PASSWORD     its password
#   KAFKA_TEST_OAUTH_SUBJECT      bridge: the JWT "sub" that makes a super user
# stop, and any start, remove the file first.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/pom.xml"
PROPS_TEMPLATE="$SCRIPT_DIR/server.properties"
LOG4J_CONFIG="$SCRIPT_DIR/log4j2.properties"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

KAFKA_HOST=${KAFKA_HOST:-127.0.0.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:-}
KAFKA_EXTRA_PROPERTIES=${KAFKA_EXTRA_PROPERTIES:-}
KAFKA_MVN_ARGS=${KAFKA_MVN_ARGS:-}
MVN=${MVN:-mvn}
KAFKA_SECURE=${KAFKA_SECURE:-0}
GO=${GO:-go}

die() {
  echo "kafka.sh: error: $*" >&2
  exit 1
}
say() { echo "kafka.sh: $*"; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_uint "$KAFKA_PORT" || die "KAFKA_PORT must be a number, got '$KAFKA_PORT'"
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
is_uint "$KAFKA_CONTROLLER_PORT" || die "KAFKA_CONTROLLER_PORT must be a number, got '$KAFKA_CONTROLLER_PORT'"
is_uint "$KAFKA_START_TIMEOUT" || die "KAFKA_START_TIMEOUT must be a number of seconds"
is_uint "$KAFKA_STOP_TIMEOUT" || die "KAFKA_STOP_TIMEOUT must be a number of seconds"
[[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
[[ $KAFKA_SECURE == 0 || $KAFKA_SECURE == 1 ]] || die "KAFKA_SECURE must be 0 or 1, got '$KAFKA_SECURE'"
KAFKA_SASL_SSL_PORT=${KAFKA_SASL_SSL_PORT:-$((KAFKA_PORT + 2))}
KAFKA_MTLS_PORT=${KAFKA_MTLS_PORT:-$((KAFKA_PORT + 3))}
is_uint "$KAFKA_SASL_SSL_PORT" || die "KAFKA_SASL_SSL_PORT must be a number, got '$KAFKA_SASL_SSL_PORT'"
is_uint "$KAFKA_MTLS_PORT" || die "KAFKA_MTLS_PORT must be a number, got '$KAFKA_MTLS_PORT'"
if [[ $KAFKA_SECURE == 1 ]] &&
  [[ $(printf '%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_SSL_PORT" "$KAFKA_MTLS_PORT" | sort -u | wc -l) -ne 4 ]]; then
  die "KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_SASL_SSL_PORT and KAFKA_MTLS_PORT must all differ"
fi

KAFKA_HOME_DIR=${KAFKA_HOME_DIR:-$SCRIPT_DIR/.cache}
mkdir -p "$KAFKA_HOME_DIR"
KAFKA_HOME_DIR=$(cd "$KAFKA_HOME_DIR" && pwd)
LIBS_DIR="$KAFKA_HOME_DIR/libs"
STAMP="$LIBS_DIR/.pom.sha256"
STATE_DIR=${KAFKA_STATE_DIR:-$KAFKA_HOME_DIR/broker-$KAFKA_PORT}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
DATA_DIR="$STATE_DIR/data"
PROPS="$STATE_DIR/server.properties"
PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/kafka.log"
PKI_DIR="$STATE_DIR/pki"
SECURE_ENV="$STATE_DIR/secure.env"
MODE_FILE="$STATE_DIR/data.mode" # plain or secure: what the data dir was formatted for
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

# Test-only credentials of the secured listeners (see the header).
SASL_USER=bridge
SASL_PASSWORD=bridge-secret
NOACL_USER=noacl
NOACL_PASSWORD=noacl-secret
OAUTH_SUBJECT=bridge
SASL_MECHANISMS=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER

# ---------------------------------------------------------------------------
# time helpers (milliseconds; EPOCHREALTIME needs bash 5, else whole seconds)

now_ms() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME//[!0-9]/} # strip the locale's decimal separator
    echo $((10#$t / 1000))
  else
    echo $(($(date +%s) * 1000))
  fi
}
# fmt_ms 1234 -> 1.2s
fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# ---------------------------------------------------------------------------
# locking: one kafka.sh at a time mutates a cache dir (fetch/start/stop/clean)

take_lock() {
  command -v flock >/dev/null 2>&1 || return 0 # e.g. macOS: best effort
  exec 9>"$KAFKA_HOME_DIR/.lock"
  flock -w 900 9 || die "timed out waiting for another kafka.sh (lock $KAFKA_HOME_DIR/.lock)"
}

# ---------------------------------------------------------------------------
# process helpers

read_pid() {
  local pid=""
  [[ -f $PID_FILE ]] && pid=$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)
  echo "$pid"
}

# alive PID: exists, not a zombie
alive() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  [[ -n $stat && $stat != Z* ]]
}

# is_ours PID: the process is the broker started with this state dir's config
is_ours() {
  local pid=$1 args
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null || true)
  [[ $args == *kafka.Kafka* && $args == *"$PROPS"* ]]
}

# running_pid: prints the broker's PID and returns 0 if it runs
running_pid() {
  local pid
  pid=$(read_pid)
  [[ -n $pid ]] && alive "$pid" && is_ours "$pid" && { echo "$pid"; return 0; }
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

log_tail() {
  local n=${1:-60}
  if [[ -s $LOG_FILE ]]; then
    echo "----- last $n lines of $LOG_FILE (without config dumps) -----" >&2
    grep -Ev $'^\t[a-zA-Z0-9._-]+ = ' "$LOG_FILE" | tail -n "$n" >&2 || true
    echo "----- end of $LOG_FILE -----" >&2
  else
    echo "(no broker log at $LOG_FILE)" >&2
  fi
}

java_bin() {
  if [[ -n ${JAVA:-} ]]; then
    echo "$JAVA"
  elif [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found: install Java 17+ or set JAVA_HOME"
  fi
}

check_java() {
  local ver major
  ver=$("$JAVA_BIN" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  [[ -n $ver ]] || die "cannot tell the version of $JAVA_BIN"
  major=${ver%%[.+-]*}
  [[ $major == 1 ]] && major=$(echo "$ver" | cut -d. -f2) # 1.8 -> 8
  if ! is_uint "$major" || ((major < 17)); then
    die "Kafka 4.x needs Java 17+, $JAVA_BIN is $ver"
  fi
}

kafka_version() {
  local jar
  for jar in "$LIBS_DIR"/kafka_2.13-*.jar; do
    [[ -e $jar ]] || continue
    jar=${jar##*/kafka_2.13-}
    echo "${jar%.jar}"
    return 0
  done
  echo "?"
}

# ---------------------------------------------------------------------------
# fetch: copy the runtime classpath from Maven (via ~/.m2) into $LIBS_DIR

pom_sum() { sha256sum "$POM" 2>/dev/null | cut -d' ' -f1 || shasum -a 256 "$POM" | cut -d' ' -f1; }

jars_cached() {
  [[ -f $STAMP && "$(cat "$STAMP")" == "$(pom_sum)" ]] && compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

FETCH_MS=0
FETCH_WHAT="cached"
fetch() {
  if jars_cached; then
    return 0
  fi
  command -v "$MVN" >/dev/null 2>&1 || die "Maven ('$MVN') not found: it is needed once to download the Kafka jars"
  local t0 tmp attempt ok=0
  t0=$(now_ms)
  rm -rf "$KAFKA_HOME_DIR"/libs.tmp.*
  tmp="$KAFKA_HOME_DIR/libs.tmp.$$"
  say "downloading Kafka jars with Maven into $LIBS_DIR ..."
  for attempt in 1 2 3; do
    rm -rf "$tmp"
    # shellcheck disable=SC2086 # KAFKA_MVN_ARGS is a list of words on purpose
    if "$MVN" -B -q -Dstyle.color=never -f "$POM" $KAFKA_MVN_ARGS \
      "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$tmp" </dev/null 2>&1 |
      sed -e $'s/\033\\[[0-9;]*m//g'; then # Debian's Maven 3.8 prints stray colour codes even with -B -q
      ok=1
      break
    fi
    echo "kafka.sh: Maven failed (attempt $attempt/3)" >&2
    [[ $attempt -lt 3 ]] && sleep $((attempt * 5))
  done
  if [[ $ok != 1 ]] || ! compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null; then
    rm -rf "$tmp"
    die "could not download the Kafka jars with Maven (see the output above)"
  fi
  pom_sum >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  FETCH_MS=$(($(now_ms) - t0))
  FETCH_WHAT="downloaded in $(fmt_ms "$FETCH_MS")"
  say "$(find "$LIBS_DIR" -name '*.jar' | wc -l | tr -d ' ') jars, $(du -sh "$LIBS_DIR" | cut -f1), $FETCH_WHAT"
}

# ---------------------------------------------------------------------------
# commands

render_props() {
  local tmpl
  tmpl=$(<"$PROPS_TEMPLATE")
  tmpl=${tmpl//@HOST@/$KAFKA_HOST}
  tmpl=${tmpl//@CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT}
  tmpl=${tmpl//@PORT@/$KAFKA_PORT}
  tmpl=${tmpl//@DATA_DIR@/$DATA_DIR}
  if [[ $KAFKA_SECURE == 1 ]]; then
    # secure_props sets these three again, with the secured listeners added.
    tmpl=$(grep -Ev '^(listeners|advertised\.listeners|listener\.security\.protocol\.map)=' <<<"$tmpl")
  fi
  {
    echo "# generated by $SCRIPT_DIR/kafka.sh from $PROPS_TEMPLATE - do not edit"
    echo "$tmpl"
    if [[ $KAFKA_SECURE == 1 ]]; then
      secure_props
    fi
    if [[ -n $KAFKA_EXTRA_PROPERTIES ]]; then
      echo
      echo "# from KAFKA_EXTRA_PROPERTIES"
      echo "$KAFKA_EXTRA_PROPERTIES"
    fi
  } >"$PROPS"
}

# ---------------------------------------------------------------------------
# secured listeners (KAFKA_SECURE=1)

# secure_props: the server.properties lines of the secured listeners.
secure_props() {
  local h=$KAFKA_HOST
  cat <<EOF

# --- Secured listeners (KAFKA_SECURE=1; see the header of kafka.sh) ---------
listeners=PLAINTEXT://$h:$KAFKA_PORT,CONTROLLER://$h:$KAFKA_CONTROLLER_PORT,SASL_SSL://$h:$KAFKA_SASL_SSL_PORT,SSL://$h:$KAFKA_MTLS_PORT
advertised.listeners=PLAINTEXT://$h:$KAFKA_PORT,SASL_SSL://$h:$KAFKA_SASL_SSL_PORT,SSL://$h:$KAFKA_MTLS_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL

# TLS of SASL_SSL and SSL: PEM files written by integration/cmd/testpki. The
# key is unencrypted PKCS#8, so ssl.key.password stays unset.
ssl.keystore.type=PEM
ssl.keystore.location=$PKI_DIR/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$PKI_DIR/ca.pem
listener.name.ssl.ssl.client.auth=required
# The mTLS principal is the certificate's CN: subject CN=bridge -> User:bridge.
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT

# SASL of the SASL_SSL listener. The SCRAM users are created by StorageTool format.
sasl.enabled.mechanisms=$SASL_MECHANISMS
listener.name.sasl_ssl.sasl.enabled.mechanisms=$SASL_MECHANISMS
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD" user_$NOACL_USER="$NOACL_PASSWORD";
# OAUTHBEARER: with no server callback handler configured, Kafka validates
# with OAuthBearerUnsecuredValidatorCallbackHandler (alg none, principal from
# "sub", "exp" required). It still needs a JAAS entry for the mechanism.
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;

# Authorization: only the super users may do anything.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:$SASL_USER
EOF
}

# make_pki: build integration/cmd/testpki from this checkout and write the
# test PKI into $PKI_DIR (a valid one is kept with KAFKA_KEEP_DATA=1).
make_pki() {
  local bin="$KAFKA_HOME_DIR/bin/testpki" reuse=()
  command -v "$GO" >/dev/null 2>&1 || die "Go ('$GO') not found: KAFKA_SECURE=1 builds integration/cmd/testpki"
  mkdir -p "$KAFKA_HOME_DIR/bin"
  (cd "$REPO_ROOT" && "$GO" build -o "$bin" ./integration/cmd/testpki) </dev/null 9>&- ||
    die "building integration/cmd/testpki failed"
  if [[ ${KAFKA_KEEP_DATA:-0} == 1 ]]; then
    reuse=(-reuse)
  else
    rm -rf "$PKI_DIR"
  fi
  "$bin" -dir "$PKI_DIR" -hosts "$KAFKA_HOST,127.0.0.1,localhost" ${reuse[@]+"${reuse[@]}"} </dev/null 9>&- ||
    die "writing the test PKI into $PKI_DIR failed"
}

# write_secure_env: the variables the tests read (printed by secure-env).
write_secure_env() {
  local tmp="$SECURE_ENV.tmp.$$"
  {
    echo "# KAFKA_SECURE=1 broker on $KAFKA_HOST:$KAFKA_PORT, from $SCRIPT_DIR/kafka.sh (test-only credentials)"
    printf 'export %s=%q\n' \
      KAFKA_TEST_SASL_SSL_BROKERS "$KAFKA_HOST:$KAFKA_SASL_SSL_PORT" \
      KAFKA_TEST_MTLS_BROKERS "$KAFKA_HOST:$KAFKA_MTLS_PORT" \
      KAFKA_TEST_CA_FILE "$PKI_DIR/ca.pem" \
      KAFKA_TEST_OTHER_CA_FILE "$PKI_DIR/other-ca.pem" \
      KAFKA_TEST_CLIENT_CERT_FILE "$PKI_DIR/client.pem" \
      KAFKA_TEST_CLIENT_KEY_FILE "$PKI_DIR/client-key.pem" \
      KAFKA_TEST_ROGUE_CERT_FILE "$PKI_DIR/rogue-client.pem" \
      KAFKA_TEST_ROGUE_KEY_FILE "$PKI_DIR/rogue-client-key.pem" \
      KAFKA_TEST_SASL_USERNAME "$SASL_USER" \
      KAFKA_TEST_SASL_PASSWORD "$SASL_PASSWORD" \
      KAFKA_TEST_NOACL_USERNAME "$NOACL_USER" \
      KAFKA_TEST_NOACL_PASSWORD "$NOACL_PASSWORD" \
      KAFKA_TEST_OAUTH_SUBJECT "$OAUTH_SUBJECT"
  } >"$tmp"
  mv -f "$tmp" "$SECURE_ENV"
}

# 16 random bytes as unpadded URL-safe base64 (22 chars), like Kafka's Uuid.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | cut -c1-22)
    [[ ${#id} == 22 && $id != -* && $id != AAAAAAAAAAAAAAAAAAAAA* ]] && break
  done
  echo "$id"
}

cmd_start() {
  local pid t0 t1 t_fmt t_pki=0 t_boot deadline cluster_id mode=plain ports scram=()
  take_lock
  if pid=$(running_pid); then
    say "already running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT - nothing to do"
    if [[ $KAFKA_SECURE == 1 && ! -s $SECURE_ENV ]]; then
      say "warning: it was started without KAFKA_SECURE=1, so it has no secured listeners (restart it to get them)"
    fi
    return 0
  fi
  rm -f "$PID_FILE" "$SECURE_ENV"
  if port_open "$KAFKA_HOST" "$KAFKA_PORT" || port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "$KAFKA_HOST:$KAFKA_PORT or :$KAFKA_CONTROLLER_PORT is already in use by another process (not a broker started from $STATE_DIR); set KAFKA_PORT to use other ports"
  fi
  ports=("$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
  if [[ $KAFKA_SECURE == 1 ]]; then
    mode=secure
    ports+=("$KAFKA_SASL_SSL_PORT" "$KAFKA_MTLS_PORT")
    if port_open "$KAFKA_HOST" "$KAFKA_SASL_SSL_PORT" || port_open "$KAFKA_HOST" "$KAFKA_MTLS_PORT"; then
      die "$KAFKA_HOST:$KAFKA_SASL_SSL_PORT or :$KAFKA_MTLS_PORT (secured listeners) is already in use by another process; set KAFKA_PORT (or KAFKA_SASL_SSL_PORT, KAFKA_MTLS_PORT) to use other ports"
    fi
    # The SCRAM users exist only in data formatted by a KAFKA_SECURE=1 start.
    if [[ ${KAFKA_KEEP_DATA:-0} == 1 && -s $DATA_DIR/meta.properties && "$(cat "$MODE_FILE" 2>/dev/null)" != secure ]]; then
      die "KAFKA_KEEP_DATA=1 KAFKA_SECURE=1: $DATA_DIR was formatted without KAFKA_SECURE=1, so it has no SCRAM users; start without KAFKA_KEEP_DATA"
    fi
    # SCRAM credentials live in the cluster metadata: created at format time.
    scram=(
      --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]"
      --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]"
      --add-scram "SCRAM-SHA-512=[name=$NOACL_USER,password=$NOACL_PASSWORD]"
      --add-scram "SCRAM-SHA-256=[name=$NOACL_USER,password=$NOACL_PASSWORD]"
    )
  fi

  t0=$(now_ms)
  fetch
  JAVA_BIN=$(java_bin)
  check_java
  if [[ $KAFKA_SECURE == 1 ]]; then
    t1=$(now_ms)
    make_pki
    t_pki=$(($(now_ms) - t1))
  fi

  render_props
  t1=$(now_ms)
  if [[ ${KAFKA_KEEP_DATA:-0} == 1 && -s $DATA_DIR/meta.properties ]]; then
    # Restart on the existing data: same cluster, same topics and records.
    cluster_id=$(sed -n 's/^cluster\.id=//p' "$DATA_DIR/meta.properties")
  else
    # Fresh data dir, new cluster id.
    rm -rf "$DATA_DIR"
    mkdir -p "$DATA_DIR"
    cluster_id=$(new_cluster_id)
    if ! "$JAVA_BIN" -Xmx256m -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.test.log.level=WARN \
    -cp "$LIBS_DIR/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" ${scram[@]+"${scram[@]}"} \
    >"$STATE_DIR/format.log" 2>&1 </dev/null 9>&-; then
      cat "$STATE_DIR/format.log" >&2
      die "formatting $DATA_DIR failed"
    fi
    echo "$mode" >"$MODE_FILE"
  fi
  t_fmt=$(($(now_ms) - t1))

  # Start in the background. The lock's fd 9 is closed for the JVM so the lock
  # is released when this script exits.
  [[ -s $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev" # keep the last run's log
  : >"$LOG_FILE"
  t1=$(now_ms)
  # shellcheck disable=SC2086 # heap and JVM options are lists of words on purpose
  nohup "$JAVA_BIN" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    $KAFKA_JVM_OPTS -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS" \
    >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  say "starting Kafka $(kafka_version) (pid $pid, cluster $cluster_id) on $KAFKA_HOST:$KAFKA_PORT, controller :$KAFKA_CONTROLLER_PORT; log $LOG_FILE"

  # Wait (bounded) for the readiness line and every listener; fail fast if
  # the JVM dies.
  deadline=$(($(now_ms) + KAFKA_START_TIMEOUT * 1000))
  while ! listeners_ready "${ports[@]}"; do
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      log_tail 80
      die "the broker exited during startup (see the log above)"
    fi
    if (($(now_ms) > deadline)); then
      log_tail 80
      echo "kafka.sh: broker not ready after ${KAFKA_START_TIMEOUT}s, stopping it" >&2
      stop_pid "$pid" >&2 || true
      rm -f "$PID_FILE"
      die "the broker did not start within ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  t_boot=$(($(now_ms) - t1))
  if [[ $KAFKA_SECURE == 1 ]]; then
    write_secure_env
    say "Kafka $(kafka_version) ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) in $(fmt_ms $(($(now_ms) - t0))) [jars: $FETCH_WHAT, pki: $(fmt_ms "$t_pki"), format: $(fmt_ms "$t_fmt"), boot: $(fmt_ms "$t_boot")]"
    say "secured listeners: SASL_SSL $KAFKA_HOST:$KAFKA_SASL_SSL_PORT ($SASL_MECHANISMS), SSL (mTLS) $KAFKA_HOST:$KAFKA_MTLS_PORT"
    say "use: KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT, and the KAFKA_TEST_* variables of $SECURE_ENV (kafka.sh secure-env)"
  else
    say "Kafka $(kafka_version) ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) in $(fmt_ms $(($(now_ms) - t0))) [jars: $FETCH_WHAT, format: $(fmt_ms "$t_fmt"), boot: $(fmt_ms "$t_boot")]"
    say "use: KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT"
  fi
}

# listeners_ready PORT...: the broker logged its readiness line and, when it
# has more than the two plain listeners, an acceptor on each PORT. (The log,
# not a TCP probe: a probe of a TLS listener logs a failed handshake.)
listeners_ready() {
  local port
  grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null || return 1
  (($# > 2)) || return 0
  for port in "$@"; do
    grep -Eq "Awaiting socket connections on .*:$port\\." "$LOG_FILE" 2>/dev/null || return 1
  done
}

# stop_pid PID: SIGTERM (controlled shutdown), bounded wait, then SIGKILL.
stop_pid() {
  local pid=$1 t0 deadline
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((t0 + KAFKA_STOP_TIMEOUT * 1000))
  while alive "$pid" && (($(now_ms) < deadline)); do
    sleep 0.2
  done
  if alive "$pid"; then
    say "broker (pid $pid) still running ${KAFKA_STOP_TIMEOUT}s after SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + 10000))
    while alive "$pid" && (($(now_ms) < deadline)); do
      sleep 0.2
    done
    alive "$pid" && { echo "kafka.sh: pid $pid survived SIGKILL" >&2; return 1; }
  fi
  say "stopped (pid $pid) in $(fmt_ms $(($(now_ms) - t0)))"
}

cmd_stop() {
  local pid
  take_lock
  rm -f "$SECURE_ENV"
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    say "not running on $KAFKA_HOST:$KAFKA_PORT - nothing to do"
    return 0
  fi
  stop_pid "$pid"
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null; then
      say "running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT, log $LOG_FILE"
    else
      say "starting (pid $pid) on $KAFKA_HOST:$KAFKA_PORT, log $LOG_FILE"
    fi
    return 0
  fi
  say "not running on $KAFKA_HOST:$KAFKA_PORT"
  return 3
}

cmd_logs() {
  [[ -f $LOG_FILE ]] || die "no log yet at $LOG_FILE"
  case "${1:-100}" in
    -f | --follow) exec tail -n 100 -F "$LOG_FILE" ;;
    *) is_uint "${1:-100}" || die "usage: kafka.sh logs [N|-f]"; tail -n "${1:-100}" "$LOG_FILE" ;;
  esac
}

cmd_run() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh run CLASS [ARGS...]"
  (take_lock && fetch) >&2
  JAVA_BIN=$(java_bin)
  # Tools log at WARN to stderr so their stdout stays clean.
  exec "$JAVA_BIN" -Xmx256m -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -Dkafka.test.log.level=WARN -Dkafka.test.log.target=SYSTEM_ERR -cp "$LIBS_DIR/*" "$@" 9>&-
}

cmd_secure_env() {
  [[ -s $SECURE_ENV ]] ||
    die "no $SECURE_ENV: start the broker with KAFKA_SECURE=1 (same KAFKA_PORT / KAFKA_STATE_DIR) first"
  cat "$SECURE_ENV"
}

cmd_clean() {
  cmd_stop
  rm -rf "$STATE_DIR"
  say "removed $STATE_DIR (jars kept in $LIBS_DIR)"
}

usage() {
  sed -n '2,/^set -euo pipefail/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop && cmd_start ;;
  status) cmd_status ;;
  logs | log) cmd_logs "$@" ;;
  fetch) take_lock && fetch && say "jars in $LIBS_DIR (Kafka $(kafka_version))" ;;
  classpath) echo "$LIBS_DIR/*" ;;
  run) cmd_run "$@" ;;
  clean) cmd_clean ;;
  secure-env) cmd_secure_env ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
