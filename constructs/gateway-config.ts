/*
 * The HAProxy configuration of the MemOS gateway, rendered from typed options. Every rule was
 * checked against HAProxy 2.6's configuration manual (docs.haproxy.org/2.6/configuration.html)
 * and runs for real in test/gateway.integration.test.ts with Debian's haproxy 2.6 binary.
 *
 * Findings that shaped it (the manual's sections in brackets):
 * - `jwt_verify` loads its key at parse time: the key must be a literal path, so there is one rule
 *   per key id, each with a fixed algorithm [7.3.1 jwt_verify]; `alg` comes from the token only to
 *   pick that rule, never to choose how to verify.
 * - `jwt_payload_query('$.aud')` finds nothing when `aud` is an array: its first elements are
 *   checked one by one [7.3.1 json_query: strings, numbers, booleans only].
 * - The body is read only after authentication (`http-request wait-for-body`, [4.2]), so an
 *   anonymous client cannot hold a buffer; the buffer is larger than the body limit, so every body
 *   the checks pass is complete and anything larger is refused (413), chunked or not.
 * - The body is judged by a JSON parser with Python's semantics (body-check.lua): escapes decoded,
 *   the last of duplicate keys wins, anything it cannot parse refused. HAProxy's own `json_query`
 *   takes the first duplicate and regexes over raw JSON miss escaped keys and give up on long
 *   inputs (a PCRE match limit is a "no match"): both let a body mean one thing to the gateway and
 *   another to MemOS.
 * - The rate limit counts admitted requests only (`gpc0_rate`): counting refused ones too would
 *   shut out a client that stays slightly over the limit. Stick tables shared through `peers`
 *   overwrite each other's values instead of adding them [3.5 "without aggregation"]: each
 *   replica enforces its share of the limit instead.
 */

/** Where the gateway pod finds its files (the image's config folder, and mounts). */
export const GATEWAY_PATHS = {
  /** The official image's configuration folder (docker-library/haproxy Dockerfile `CMD`). */
  config: '/usr/local/etc/haproxy',
  /** JWT public keys (ConfigMap or Secret), one PEM file per key id. */
  jwtKeys: '/etc/haproxy/jwt',
  /** The API-key map (Secret). */
  apiKeys: '/etc/haproxy/api-keys',
} as const;

/** The gateway's own health on its listener (readiness, the ELB's check) and its liveness on the ops port. */
export const GATEWAY_HEALTH_PATH = '/healthz';
export const GATEWAY_LIVE_PATH = '/livez';

/** A route the gateway lets through, and where MemOS reads the user from. */
export interface RenderedRoute {
  readonly method: string;
  readonly path: string;
  readonly userIdIn: 'body' | 'query';
}

/** Everything the configuration needs, validated by the construct. */
export interface GatewayConfigOptions {
  readonly listenPort: number;
  readonly opsPort: number;
  /** DNS name of memos-api's headless Service (one server per pod). */
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** memos-api's health route, checked on every server. */
  readonly upstreamHealthPath: string;
  /** Server slots for memos-api pods (at least its autoscaler's maximum and surge). */
  readonly upstreamServers: number;
  readonly jwt?: {
    readonly issuer: string;
    readonly audience: string;
    readonly claim: string;
    readonly leewaySeconds: number;
    readonly keys: { readonly keyId: string; readonly algorithm: string; readonly file: string }[];
  };
  /** File name of the API-key map in its mount. */
  readonly apiKeysFile?: string;
  readonly serviceIdentities: string[];
  readonly routes: RenderedRoute[];
  readonly forbiddenFields: string[];
  readonly allowRemoteFiles: boolean;
  readonly requestsPerSecondPerReplica: number;
  readonly maxBodyBytes: number;
  /** Connections of the API listener; the ops listener has its own room. */
  readonly maxConnections: number;
  readonly threads: number;
}

/** Room for the request line and headers besides the body in the buffer (URL <= 8 KiB, headers <= 32 KiB). */
const HEADER_ROOM = 64 * 1024;

/** Identities with a series of their own in `memos_gateway_rate_limited_total`; the rest are `(other)`. */
export const RATE_LIMITED_MAX_IDENTITIES = 1000;

/** Characters an identity may have: it goes into a header and is compared with `user_id`. */
export const IDENTITY_PATTERN = '^[A-Za-z0-9._@:-]{1,128}$';

/** Top-level body fields naming whose data MemOS touches: a single cube id, or lists of them. */
const CUBE_ID_FIELD = 'mem_cube_id';
const CUBE_ID_LIST_FIELDS = ['readable_cube_ids', 'writable_cube_ids', 'mem_cube_ids'];

/** The files the configuration reads besides itself, by path relative to {@link GATEWAY_PATHS.config}. */
export function gatewayFiles(options: GatewayConfigOptions): Record<string, string> {
  const routes = options.routes.map((r) => `${r.method}${r.path} ${r.userIdIn}`);
  return {
    'routes.map': lines('# <METHOD><exact path> <where MemOS reads user_id>', ...routes),
    'service-identities.map': lines('# identities that may act for any user_id (still authenticated)', ...options.serviceIdentities.map((i) => `${i} 1`)),
    'body-check.lua': bodyCheckLua(options),
    'latency.lua': LATENCY_LUA,
  };
}

const lines = (...l: string[]) => l.join('\n') + '\n';

const deny = (status: number, error: string, condition: string, extra = '') =>
  `    http-request return status ${status} content-type application/json string '{"error":"${error}"}'${extra} ${condition}`;

/** The gateway's haproxy.cfg. */
export function renderGatewayConfig(o: GatewayConfigOptions): string {
  const conf = GATEWAY_PATHS.config;
  const bufsize = o.maxBodyBytes + HEADER_ROOM;
  const out: string[] = [
    '# Generated by cdk8s-memos-cce (constructs/gateway-config.ts): edit the MemosGateway props, not this file.',
    'global',
    `    tune.bufsize ${bufsize}`,
    `    nbthread ${o.threads}`,
    // Room for the ops listener (probes, metrics) beside the API listener's own limit.
    `    maxconn ${o.maxConnections + 100}`,
    // One Lua state for all threads (lua-load, not lua-load-per-thread): exact counters.
    `    lua-load ${conf}/latency.lua`,
    `    lua-load ${conf}/body-check.lua`,
    '',
    'resolvers cluster',
    '    parse-resolv-conf',
    '    hold valid 10s',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 60s',
    // LLM calls and chat streams take minutes.
    '    timeout server 300s',
    // Also bounds the wait for the request body.
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    '',
    '# One row per identity: this replica enforces its share of the limit, counting admitted requests.',
    'backend rate_per_identity',
    '    stick-table type string len 128 size 200k expire 30s store gpc0_rate(1s)',
    '',
    'frontend api',
    `    bind :${o.listenPort}`,
    `    maxconn ${o.maxConnections}`,
    // The load balancer's health check: the gateway itself (memos-api's state shows in 503s and metrics).
    `    monitor-uri ${GATEWAY_HEALTH_PATH}`,
    '    http-request del-header x-memos-user',
    '    http-request del-header x-user-name',
    '    http-request set-var(txn.t0_us) date(0,us)',
    deny(414, 'uri_too_long', 'if { url,length gt 8192 }'),
    deny(431, 'headers_too_large', 'if { req.hdrs,length gt 32768 }'),
    // Origin-form only: an absolute-form target would be routed differently by uvicorn.
    deny(400, 'bad_request_target', 'unless { url_beg / }'),
    '    acl has_authorization req.hdr_cnt(authorization) gt 0',
    '    acl has_api_key req.hdr_cnt(x-api-key) gt 0',
  ];
  if (o.jwt) {
    const j = o.jwt;
    out.push(
      '    http-request set-var(txn.bearer) http_auth_bearer if { req.hdr_cnt(authorization) eq 1 }',
      "    http-request set-var(txn.jwt_kid) var(txn.bearer),jwt_header_query('$.kid') if { var(txn.bearer) -m found }",
      "    http-request set-var(txn.jwt_alg) var(txn.bearer),jwt_header_query('$.alg') if { var(txn.bearer) -m found }",
      ...j.keys.map((k) => `    http-request set-var(txn.jwt_sig) var(txn.bearer),jwt_verify(${k.algorithm},"${GATEWAY_PATHS.jwtKeys}/${k.file}") `
        + `if { var(txn.jwt_kid) -m str ${k.keyId} } { var(txn.jwt_alg) -m str ${k.algorithm} }`),
      '    acl jwt_signature_ok var(txn.jwt_sig) -m int 1',
      '    http-request set-var(txn.now) date if jwt_signature_ok',
      `    http-request set-var(txn.exp_left) var(txn.bearer),jwt_payload_query('$.exp','int'),add(${j.leewaySeconds}),sub(txn.now) if jwt_signature_ok`,
      `    http-request set-var(txn.nbf_ahead) var(txn.bearer),jwt_payload_query('$.nbf','int'),sub(${j.leewaySeconds}),sub(txn.now) if jwt_signature_ok`,
      '    acl jwt_not_expired var(txn.exp_left) -m int gt 0',
      '    acl jwt_not_yet_valid var(txn.nbf_ahead) -m int gt 0',
      `    acl jwt_issuer_ok var(txn.bearer),jwt_payload_query('$.iss') -m str ${haproxyString(j.issuer)}`,
      ...['$.aud', '$.aud[0]', '$.aud[1]', '$.aud[2]', '$.aud[3]'].map((q) => `    acl jwt_audience_ok var(txn.bearer),jwt_payload_query('${q}') -m str ${haproxyString(j.audience)}`),
      `    http-request set-var(txn.identity) var(txn.bearer),jwt_payload_query('$.${j.claim}') `
        + 'if jwt_signature_ok jwt_not_expired !jwt_not_yet_valid jwt_issuer_ok jwt_audience_ok !has_api_key',
    );
  }
  if (o.apiKeysFile) {
    out.push(`    http-request set-var(txn.identity) req.hdr(x-api-key),sha2(256),hex,lower,map(${GATEWAY_PATHS.apiKeys}/${o.apiKeysFile}) `
      + 'if !has_authorization { req.hdr_cnt(x-api-key) eq 1 }');
  }
  out.push(
    `    acl identity_ok var(txn.identity) -m reg ${IDENTITY_PATTERN}`,
    deny(401, 'unauthorized', 'unless identity_ok', ` hdr WWW-Authenticate 'Bearer realm="memos"'`),
    '    http-request track-sc0 var(txn.identity) table rate_per_identity',
    // Closing the connection lets a keep-alive client land on another replica next time.
    `    acl over_rate sc_gpc0_rate(0) ge ${o.requestsPerSecondPerReplica}`,
    // Counted per identity (HAProxy's exporter has status classes only: a 429 looks like a 401).
    '    http-request lua.count_rate_limited if over_rate',
    deny(429, 'rate_limited', 'if over_rate', " hdr Retry-After 1 hdr Connection close"),
    '    http-request sc-inc-gpc0(0)',
    // Exact method and path: no normalisation, so `//product/add` or `/product/./add` are not routes.
    '    http-request set-var-fmt(txn.route) "%[method]%[path]"',
    `    http-request set-var(txn.user_id_in) var(txn.route),map(${conf}/routes.map)`,
    deny(404, 'not_found', 'unless { var(txn.user_id_in) -m found }'),
    // Only now, authenticated and routed, is the body read: the whole of it, up to the limit.
    `    http-request wait-for-body time 10s at-least ${o.maxBodyBytes + 1}`,
    // Whatever did not fit in the buffer is larger than the limit: refused, never forwarded unchecked.
    deny(413, 'body_too_large', `if { req.body_size gt ${o.maxBodyBytes} } || { req.body_len gt ${o.maxBodyBytes} }`),
    '    acl user_id_in_body var(txn.user_id_in) -m str body',
    '    acl user_id_in_query var(txn.user_id_in) -m str query',
    `    acl service_identity var(txn.identity),map(${conf}/service-identities.map) -m found`,
    '    http-request set-var(txn.service) str(1) if service_identity',
    deny(400, 'query_not_allowed', 'if user_id_in_body { query -m found }'),
    deny(400, 'content_type_must_be_json', 'if user_id_in_body !{ req.hdr(content-type) -m reg -i ^application/json[[:space:]]*(;.*)?$ }'),
    // The body's verdict, from a JSON parser with Python's semantics (body-check.lua).
    '    http-request lua.memos_check_body if user_id_in_body',
    deny(400, 'body_not_json', 'if user_id_in_body { var(txn.body_verdict) -m str bad_json }'),
    deny(403, 'forbidden_field', 'if user_id_in_body { var(txn.body_verdict) -m str forbidden_field }'),
    deny(400, 'user_id_required', 'if user_id_in_body { var(txn.body_verdict) -m str user_id_required }'),
    deny(403, 'user_id_mismatch', 'if user_id_in_body { var(txn.body_verdict) -m str user_id_mismatch }'),
    deny(403, 'cube_not_owned', 'if user_id_in_body { var(txn.body_verdict) -m str cube_not_owned }'),
    // Anything else (the check did not run or failed) is refused, never forwarded unchecked.
    deny(500, 'body_check_failed', 'if user_id_in_body !{ var(txn.body_verdict) -m str ok }'),
    deny(400, 'bad_query', 'if user_id_in_query !{ query -m reg ^[A-Za-z0-9._~@:=&-]*$ }'),
    deny(400, 'bad_query', 'if user_id_in_query { query -m reg (^|&)user_id([=&]|$).*&user_id([=&]|$) }'),
    deny(400, 'body_not_allowed', 'if user_id_in_query { req.body_len gt 0 }'),
    '    http-request set-var(txn.request_user) url_param(user_id) if user_id_in_query',
    deny(400, 'user_id_required', 'if user_id_in_query !{ var(txn.request_user) -m len gt 0 }'),
    deny(403, 'user_id_mismatch', 'if user_id_in_query !service_identity !{ var(txn.request_user),strcmp(txn.identity) eq 0 }'),
    '    http-request del-header authorization',
    '    http-request del-header x-api-key',
    '    http-request set-header X-Memos-User %[var(txn.identity)]',
    // MemOS's request-context middleware logs this header as the user name.
    '    http-request set-header X-User-Name %[var(txn.identity)]',
    '    default_backend memos',
    '',
    // One server per memos-api pod, from the headless Service's DNS records: requests spread over
    // the pods the autoscaler adds, and a pod that stops answering /health leaves the rotation.
    'backend memos',
    '    balance leastconn',
    `    option httpchk GET ${o.upstreamHealthPath}`,
    '    http-check expect status 200',
    '    http-response lua.observe_latency',
    `    server-template memos ${o.upstreamServers} ${o.upstreamHost}:${o.upstreamPort} check inter 5s resolvers cluster init-addr none`,
    '',
    'frontend ops',
    `    bind :${o.opsPort}`,
    `    monitor-uri ${GATEWAY_LIVE_PATH}`,
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    http-request use-service lua.latency_metrics if { path /metrics/latency }',
    '    http-request return status 404',
  );
  return out.join('\n') + '\n';
}

/** A value in double quotes, for an ACL pattern (the construct allows no quotes or backslashes in it). */
function haproxyString(value: string): string {
  return `"${value}"`;
}

const luaString = (value: string) => JSON.stringify(value);

/**
 * The body check: a strict JSON parser with the semantics of Python's `json.loads`, which FastAPI
 * uses for MemOS's request bodies (escapes decoded, the last of duplicate keys wins, no NaN or
 * control characters accepted here), and the verdict on what it read: the top-level `user_id`
 * must be the caller's, the cube ids the caller's own, no forbidden field at any depth, no
 * `file_data` URL. Anything it cannot parse is refused, so the gateway and MemOS never read a
 * body differently.
 */
function bodyCheckLua(o: GatewayConfigOptions): string {
  return `-- Generated by cdk8s-memos-cce (constructs/gateway-config.ts).
local FORBIDDEN = {${o.forbiddenFields.map((f) => `[${luaString(f)}] = true`).join(', ')}}
local ALLOW_REMOTE_FILES = ${o.allowRemoteFiles}
local CUBE_ID = ${luaString(CUBE_ID_FIELD)}
local CUBE_ID_LISTS = {${CUBE_ID_LIST_FIELDS.map((f) => `[${luaString(f)}] = true`).join(', ')}}
local MAX_DEPTH = 64

local function fail(reason) error({verdict = reason}, 0) end

local ESCAPES = {['"'] = '"', ['\\\\'] = '\\\\', ['/'] = '/', b = '\\b', f = '\\f', n = '\\n', r = '\\r', t = '\\t'}

local function skip(s, i)
  local _, e = string.find(s, '^[ \\t\\r\\n]*', i)
  return e + 1
end

local function parse_string(s, i)
  local out, j = {}, i + 1
  while true do
    local k = string.find(s, '[\\0-\\31"\\\\]', j)
    if not k then fail('bad_json') end
    if k > j then out[#out + 1] = string.sub(s, j, k - 1) end
    local c = string.byte(s, k)
    if c == 34 then return table.concat(out), k + 1 end
    if c < 32 then fail('bad_json') end
    local e = string.sub(s, k + 1, k + 1)
    if e == 'u' then
      local hex = string.match(s, '^%x%x%x%x', k + 2)
      if not hex then fail('bad_json') end
      local cp = tonumber(hex, 16)
      j = k + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local low = string.match(s, '^\\\\u(%x%x%x%x)', j)
        local lo = low and tonumber(low, 16)
        if not lo or lo < 0xDC00 or lo > 0xDFFF then fail('bad_json') end
        cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
        j = j + 6
      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        fail('bad_json')
      end
      out[#out + 1] = utf8.char(cp)
    else
      local r = ESCAPES[e]
      if not r then fail('bad_json') end
      out[#out + 1] = r
      j = k + 2
    end
  end
end

local parse_value

-- After an element: the closing bracket ends the container, a comma continues it.
local function after_item(s, i, close)
  i = skip(s, i)
  local c = string.sub(s, i, i)
  if c == close then return true, i + 1 end
  if c ~= ',' then fail('bad_json') end
  return false, skip(s, i + 1)
end

local function parse_object(s, i, depth, found)
  local object = {}
  i = skip(s, i + 1)
  if string.sub(s, i, i) == '}' then return object, i + 1 end
  while true do
    if string.sub(s, i, i) ~= '"' then fail('bad_json') end
    local key
    key, i = parse_string(s, i)
    i = skip(s, i)
    if string.sub(s, i, i) ~= ':' then fail('bad_json') end
    local value
    value, i = parse_value(s, skip(s, i + 1), depth + 1, found)
    if FORBIDDEN[key] then found.forbidden = true end
    -- Any "://" at all: URL parsers strip C0 controls (urllib.parse) and Unicode spaces
    -- (str.strip, requests) before the scheme, and base64 or data: URIs never hold "://".
    if key == 'file_data' and type(value) == 'string' and not ALLOW_REMOTE_FILES
      and string.find(value, '://', 1, true) then
      found.forbidden = true
    end
    -- The last of duplicate keys wins, as in Python.
    object[key] = value
    local closed
    closed, i = after_item(s, i, '}')
    if closed then return object, i end
  end
end

local function parse_array(s, i, depth, found)
  local array = {}
  i = skip(s, i + 1)
  if string.sub(s, i, i) == ']' then return array, i + 1 end
  while true do
    local value
    value, i = parse_value(s, i, depth + 1, found)
    array[#array + 1] = value
    local closed
    closed, i = after_item(s, i, ']')
    if closed then return array, i end
  end
end

local NULL = {}

parse_value = function(s, i, depth, found)
  if depth > MAX_DEPTH then fail('bad_json') end
  local c = string.sub(s, i, i)
  if c == '{' then return parse_object(s, i, depth, found) end
  if c == '[' then return parse_array(s, i, depth, found) end
  if c == '"' then return parse_string(s, i) end
  if string.sub(s, i, i + 3) == 'true' then return true, i + 4 end
  if string.sub(s, i, i + 4) == 'false' then return false, i + 5 end
  if string.sub(s, i, i + 3) == 'null' then return NULL, i + 4 end
  -- JSON's number grammar exactly: -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?
  local int = string.match(s, '^-?0', i) or string.match(s, '^-?[1-9]%d*', i)
  if int then
    local j = i + #int
    local frac = string.match(s, '^%.%d+', j) or ''
    j = j + #frac
    local exp = string.match(s, '^[eE][-+]?%d+', j) or ''
    j = j + #exp
    return tonumber(string.sub(s, i, j - 1)), j
  end
  fail('bad_json')
end

local function verdict(body, identity, service)
  -- json.loads(bytes) decodes UTF-8 (refusing what is not) and drops one leading BOM.
  if string.sub(body, 1, 3) == '\\239\\187\\191' then body = string.sub(body, 4) end
  if not utf8.len(body) then fail('bad_json') end
  local found = {}
  local i = skip(body, 1)
  if string.sub(body, i, i) ~= '{' then fail('bad_json') end
  local object
  object, i = parse_value(body, i, 0, found)
  if skip(body, i) <= #body then fail('bad_json') end
  if found.forbidden then return 'forbidden_field' end
  local user = object.user_id
  if type(user) ~= 'string' or user == '' then return 'user_id_required' end
  if service then return 'ok' end
  if user ~= identity then return 'user_id_mismatch' end
  local cube = object[CUBE_ID]
  if cube ~= nil and cube ~= NULL and cube ~= identity then return 'cube_not_owned' end
  for field in pairs(CUBE_ID_LISTS) do
    local list = object[field]
    if list ~= nil and list ~= NULL and (type(list) ~= 'table' or #list ~= 1 or list[1] ~= identity or next(list, 1) ~= nil) then
      return 'cube_not_owned'
    end
  end
  return 'ok'
end

core.register_action("memos_check_body", {"http-req"}, function(txn)
  local body = txn.f:req_body() or ''
  local identity = txn:get_var('txn.identity') or ''
  local service = txn:get_var('txn.service') == '1'
  local ok, result = pcall(verdict, body, identity, service)
  if not ok then
    result = type(result) == 'table' and result.verdict or 'bad_json'
  end
  txn:set_var('txn.body_verdict', result)
end, 0)
`;
}

/**
 * A latency histogram of the requests the gateway forwards, by status class, and a count of the
 * requests refused with 429 per identity, in Prometheus text format on the ops port
 * (`/metrics/latency`): HAProxy 2.6's exporter has averages and maxima, no histogram, and counts
 * responses by status class only. One Lua state serves every thread (lua-load), so the counts are
 * exact. At most {@link RATE_LIMITED_MAX_IDENTITIES} identities get a series of their own; the
 * rest are counted as `(other)`, which no identity can be (IDENTITY_PATTERN has no parentheses).
 */
const LATENCY_LUA = `-- Generated by cdk8s-memos-cce (constructs/gateway-config.ts).
local max_identities = ${RATE_LIMITED_MAX_IDENTITIES}
local rate_limited = {}
local rate_limited_identities = 0

core.register_action("count_rate_limited", {"http-req"}, function(txn)
  local identity = txn:get_var("txn.identity") or ""
  if rate_limited[identity] == nil then
    if rate_limited_identities >= max_identities then
      identity = "(other)"
    else
      rate_limited_identities = rate_limited_identities + 1
    end
  end
  rate_limited[identity] = (rate_limited[identity] or 0) + 1
end, 0)

local bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
local series = {}

local function series_of(class)
  local s = series[class]
  if s == nil then
    s = {buckets = {}, count = 0, sum = 0.0}
    for i = 1, #bounds do s.buckets[i] = 0 end
    series[class] = s
  end
  return s
end

core.register_action("observe_latency", {"http-res"}, function(txn)
  local t0 = tonumber(txn:get_var("txn.t0_us"))
  if t0 == nil then return end
  local now = core.now()
  local seconds = ((now.sec * 1000000 + now.usec) - t0) / 1e6
  if seconds < 0 then seconds = 0 end
  local status = txn.f:status() or 0
  local s = series_of(tostring(status // 100) .. "xx")
  s.count = s.count + 1
  s.sum = s.sum + seconds
  for i = 1, #bounds do
    if seconds <= bounds[i] then s.buckets[i] = s.buckets[i] + 1 end
  end
end, 0)

core.register_service("latency_metrics", "http", function(applet)
  local out = {
    "# HELP memos_gateway_upstream_latency_seconds Time from the gateway's request rules to memos-api's response headers.",
    "# TYPE memos_gateway_upstream_latency_seconds histogram",
  }
  local classes = {}
  for c in pairs(series) do classes[#classes + 1] = c end
  table.sort(classes)
  for _, c in ipairs(classes) do
    local s = series[c]
    for i = 1, #bounds do
      out[#out + 1] = string.format('memos_gateway_upstream_latency_seconds_bucket{code="%s",le="%g"} %d', c, bounds[i], s.buckets[i])
    end
    out[#out + 1] = string.format('memos_gateway_upstream_latency_seconds_bucket{code="%s",le="+Inf"} %d', c, s.count)
    out[#out + 1] = string.format('memos_gateway_upstream_latency_seconds_sum{code="%s"} %.6f', c, s.sum)
    out[#out + 1] = string.format('memos_gateway_upstream_latency_seconds_count{code="%s"} %d', c, s.count)
  end
  out[#out + 1] = "# HELP memos_gateway_rate_limited_total Requests the gateway refused with 429 (over the per-identity rate limit), by identity."
  out[#out + 1] = "# TYPE memos_gateway_rate_limited_total counter"
  local identities = {}
  for i in pairs(rate_limited) do identities[#identities + 1] = i end
  table.sort(identities)
  for _, i in ipairs(identities) do
    out[#out + 1] = string.format('memos_gateway_rate_limited_total{identity="%s"} %d', i, rate_limited[i])
  end
  local body = table.concat(out, "\\n") .. "\\n"
  applet:set_status(200)
  applet:add_header("content-type", "text/plain; version=0.0.4")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end)
`;
