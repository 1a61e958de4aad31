/**
 * The script of {@link MemosSmokeTest}'s Job (constructs/memos-smoke-test.ts). POSIX `sh` with
 * busybox tools only (curl's official image is Alpine: busybox `sh`, `sed`, `tr`, `cut`, `date`,
 * `nc`, `timeout`; curl at `/usr/bin/curl`; no jq), run for real by test/smoke-test.test.ts under
 * busybox against local stubs of every endpoint.
 *
 * Each check runs when its settings are in the environment and prints one line, `ok <check>` or
 * `FAIL <check>: <reason>`; the script exits 1 when any check failed, after running them all.
 *
 * Secrets (the gateway API key, Qdrant's API key, the Neo4j, Milvus and Redis passwords) come
 * from the environment (`secretKeyRef`) and never reach a command line or the output: curl reads
 * its credential headers as a config on stdin (`-K -`, quoted with `"` and `\` escaped, curl's
 * config-file syntax), and Redis gets its `AUTH` through `nc`'s stdin from the shell's `printf`
 * builtin. Reasons print curl's exit code or the HTTP status and at most 200 characters of the
 * answer: servers do not echo credentials.
 *
 * Environment:
 * - CONNECT_TIMEOUT, REQUEST_TIMEOUT (seconds, every request), TMPDIR (curl's messages);
 * - MEMOS_URL (waited for up to READY_TIMEOUT seconds, polling every POLL_SECONDS): `GET /health` must answer 200 with `"status":"healthy"` (MemOS 2.0.30
 *   `memos/api/server_api.py` `health_check`: `{"status":"healthy","service":"memos","version":...}`);
 * - GATEWAY_URL, TEST_USER, GATEWAY_API_KEY, SEARCH_TIMEOUT, POLL_SECONDS: `POST /product/add`
 *   (header `x-api-key`) with a marker unique to the run for `user_id` TEST_USER, which must
 *   answer 200 with `"code":200`; then `POST /product/search` for the marker every POLL_SECONDS
 *   until an answer holds it, for at most SEARCH_TIMEOUT seconds (an add is `async` by default:
 *   MemOS enqueues a `mem_read` task for the scheduler);
 * - QDRANT_URL, optional QDRANT_API_KEY: `GET /readyz` 200, then `GET /collections` (header
 *   `api-key`, as qdrant-client sends it) 200 with `"status":"ok"`;
 * - NEO4J_URL, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE: `POST /db/<database>/tx/commit` with
 *   basic auth and `RETURN 1` (Neo4j's HTTP API) must answer 200 with `"errors":[]`;
 * - MILVUS_URL, MILVUS_USER, MILVUS_PASSWORD: `POST /v2/vectordb/collections/list` (RESTful v2,
 *   `Authorization: Bearer <user>:<password>`) must answer 200 with `"code":0`;
 * - REDIS_HOST, REDIS_PORT, optional REDIS_PASSWORD: `AUTH`, `PING`, `QUIT` in RESP over `nc`:
 *   the answer must hold `+PONG` and no error reply.
 * @internal
 */
export const SMOKE_TEST_SCRIPT = `set -eu
failed=0
ran=0
say() { printf '%s\\n' "$*"; }
pass() { ran=$((ran + 1)); say "ok $1"; }
fail() { ran=$((ran + 1)); failed=1; say "FAIL $1: $2"; }
# An answer, as a reason: one line, at most 200 characters.
short() { printf '%s' "$1" | tr '\\r\\n\\t' '   ' | cut -c1-200; }
# JSON without whitespace, for matching fields whatever the server's formatting.
compact() { printf '%s' "$1" | tr -d ' \\t\\r\\n'; }
# A value quoted for curl's config syntax ("..." with backslash escapes); read from stdin.
quote() { printf '"'; sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g' | tr -d '\\n'; printf '"'; }
err_file="\${TMPDIR:-/tmp}/smoke-test-curl.$$"

# request CONFIG METHOD URL [curl args]: CONFIG (curl config lines: credential headers) on curl's
# stdin; sets $status (the HTTP status, or 000 when curl failed) and $body (the answer, or why curl
# failed). curl's own exit code counts, not only the status it printed.
request() {
  config=$1; method=$2; url=$3; shift 3
  rc=0
  response=$(printf '%s' "$config" | curl -sS -K - --connect-timeout "$CONNECT_TIMEOUT" --max-time "$REQUEST_TIMEOUT" \\
    -X "$method" -w '\\n%{http_code}' "$@" "$url" 2>"$err_file") || rc=$?
  if [ "$rc" = 0 ]; then
    status=$(printf '%s\\n' "$response" | tail -n 1)
    body=$(printf '%s\\n' "$response" | sed '$d')
  else
    status=000
    body="curl exit code $rc: $(short "$(cat "$err_file" 2>/dev/null || true)")"
  fi
  rm -f "$err_file"
}
# why: the reason of a failed request.
why() { if [ "$status" = 000 ]; then say "$body"; else say "HTTP $status: $(short "$body")"; fi; }
header() { printf 'header = %s\\n' "$(printf '%s: %s' "$1" "$2" | quote)"; }
json='Content-Type: application/json'

if [ -n "\${MEMOS_URL:-}" ]; then
  # Applied with kubectl, the Job starts with the rollout: wait up to READY_TIMEOUT seconds for
  # memos-api (which itself starts after the stores), then check everything once.
  waited=0
  while :; do
    request '' GET "$MEMOS_URL/health"
    if [ "$status" = 200 ] && compact "$body" | grep -q '"status":"healthy"'; then break; fi
    [ "$waited" -lt "\${READY_TIMEOUT:-0}" ] || break
    sleep "\${POLL_SECONDS:-5}"
    waited=$((waited + \${POLL_SECONDS:-5}))
  done
  if [ "$status" = 200 ] && compact "$body" | grep -q '"status":"healthy"'; then pass memos-health
  else fail memos-health "GET $MEMOS_URL/health: $(why)"; fi
fi

if [ -n "\${GATEWAY_URL:-}" ]; then
  key=$(header x-api-key "$GATEWAY_API_KEY")
  id=$(tr -d '\\n-' 2>/dev/null < /proc/sys/kernel/random/uuid || date +%s)
  marker="memos-smoke-$(date -u +%Y%m%dT%H%M%SZ)-$id"
  add="{\\"user_id\\":\\"$TEST_USER\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"Smoke test after a deploy: remember the code word $marker.\\"}],\\"async_mode\\":\\"async\\",\\"custom_tags\\":[\\"smoke-test\\"]}"
  request "$key" POST "$GATEWAY_URL/product/add" -H "$json" --data-binary "$add"
  if [ "$status" = 200 ] && compact "$body" | grep -q '"code":200[,}]'; then
    pass gateway-add
    search="{\\"user_id\\":\\"$TEST_USER\\",\\"query\\":\\"$marker\\",\\"top_k\\":10,\\"relativity\\":0}"
    deadline=$(( $(date +%s) + SEARCH_TIMEOUT ))
    searches=0
    while :; do
      request "$key" POST "$GATEWAY_URL/product/search" -H "$json" --data-binary "$search"
      searches=$((searches + 1))
      if [ "$status" = 200 ] && printf '%s' "$body" | grep -qF "$marker"; then pass gateway-search; break; fi
      case "$status" in
        200|000|429|5*) ;;
        *) fail gateway-search "POST $GATEWAY_URL/product/search: $(why)"; break ;;
      esac
      if [ "$(date +%s)" -ge "$deadline" ]; then
        if [ "$status" = 200 ]; then reason="the added memory was not found"; else reason="last answer $(why)"; fi
        fail gateway-search "$reason after $searches searches in $SEARCH_TIMEOUT s (is the scheduler consuming the queue?)"
        break
      fi
      sleep "$POLL_SECONDS"
    done
  else
    fail gateway-add "POST $GATEWAY_URL/product/add as $TEST_USER: $(why)"
    fail gateway-search "not run: the add failed"
  fi
fi

if [ -n "\${QDRANT_URL:-}" ]; then
  request '' GET "$QDRANT_URL/readyz"
  if [ "$status" = 200 ]; then pass qdrant-ready; else fail qdrant-ready "GET $QDRANT_URL/readyz: $(why)"; fi
  key=''
  if [ -n "\${QDRANT_API_KEY:-}" ]; then key=$(header api-key "$QDRANT_API_KEY"); fi
  request "$key" GET "$QDRANT_URL/collections"
  if [ "$status" = 200 ] && compact "$body" | grep -q '"status":"ok"'; then pass qdrant-collections
  else fail qdrant-collections "GET $QDRANT_URL/collections: $(why)"; fi
fi

if [ -n "\${NEO4J_URL:-}" ]; then
  auth="user = $(printf '%s:%s' "$NEO4J_USER" "$NEO4J_PASSWORD" | quote)"
  request "$auth" POST "$NEO4J_URL/db/$NEO4J_DATABASE/tx/commit" -H "$json" -H 'Accept: application/json' \\
    --data-binary '{"statements":[{"statement":"RETURN 1"}]}'
  if [ "$status" = 200 ] && compact "$body" | grep -q '"errors":\\[\\]'; then pass neo4j
  else fail neo4j "POST $NEO4J_URL/db/$NEO4J_DATABASE/tx/commit as $NEO4J_USER: $(why)"; fi
fi

if [ -n "\${MILVUS_URL:-}" ]; then
  token=$(header Authorization "Bearer $MILVUS_USER:$MILVUS_PASSWORD")
  request "$token" POST "$MILVUS_URL/v2/vectordb/collections/list" -H "$json" --data-binary '{}'
  if [ "$status" = 200 ] && compact "$body" | grep -q '"code":0[,}]'; then pass milvus
  else fail milvus "POST $MILVUS_URL/v2/vectordb/collections/list as $MILVUS_USER: $(why)"; fi
fi

if [ -n "\${REDIS_HOST:-}" ]; then
  redis_commands() {
    if [ -n "\${REDIS_PASSWORD:-}" ]; then
      printf '*2\\r\\n$4\\r\\nAUTH\\r\\n$%s\\r\\n' "$(printf '%s' "$REDIS_PASSWORD" | wc -c | tr -d ' ')"
      printf '%s\\r\\n' "$REDIS_PASSWORD"
    fi
    printf '*1\\r\\n$4\\r\\nPING\\r\\n*1\\r\\n$4\\r\\nQUIT\\r\\n'
  }
  reply=$(redis_commands | timeout "$REQUEST_TIMEOUT" nc -w "$CONNECT_TIMEOUT" "$REDIS_HOST" "$REDIS_PORT" 2>"$err_file" | tr -d '\\r' || true)
  error=$(printf '%s\\n' "$reply" | grep '^-' | head -n 1 || true)
  if [ -n "$error" ]; then fail redis "$REDIS_HOST:$REDIS_PORT answered $(short "$error")"
  elif printf '%s\\n' "$reply" | grep -qx '+PONG'; then pass redis
  else fail redis "no PONG from $REDIS_HOST:$REDIS_PORT: $(short "$(cat "$err_file" 2>/dev/null || true) $reply")"; fi
  rm -f "$err_file"
fi

if [ "$ran" = 0 ]; then say "FAIL smoke-test: no check configured"; exit 1; fi
if [ "$failed" != 0 ]; then say "smoke test FAILED"; exit 1; fi
say "smoke test passed: $ran checks"
`;
