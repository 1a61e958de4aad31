/**
 * The shortest password the image accepts: `dbms.security.auth_minimum_password_length`, default 8
 * since Neo4j 5.2; neo4j/docker-neo4j@8a5082e `docker-image-src/5/coredb/docker-entrypoint.sh`
 * (`set_initial_password`, `_min_password_length` falls back to 8) and `neo4j-admin dbms
 * set-initial-password` (SetInitialPasswordCommand.validatePassword: "A password must be at least 8
 * characters"; docker-neo4j PR #408: the container then fails to start). This construct never
 * changes that setting.
 */
const MIN_PASSWORD_LENGTH = 8;

/**
 * The POSIX shell script of the `check-password` init container: exits 1, naming `where` (Secret and
 * key, both validated names) but never the password, when `$AUTH_PASSWORD` is one the image's
 * entrypoint refuses. neo4j/docker-neo4j@8a5082e `docker-image-src/5/coredb/docker-entrypoint.sh`,
 * `set_initial_password`: NEO4J_AUTH must match `^([^/]+)\/([^/]+)/?([tT][rR][uU][eE])?$` (no '/'
 * in the password: `<pw>/true` would silently set `<pw>` and demand a change, any other '/' exits
 * after printing NEO4J_AUTH) and it needs at least `dbms.security.auth_minimum_password_length`
 * characters (8; this construct never lowers it). The entrypoint also refuses the password `neo4j`,
 * which is shorter than that anyway.
 * @internal
 */
export function passwordCheckScript(where: string): string {
  const fail = (reason: string) => `{ echo "Neo4j password in Secret key ${where} ${reason}" >&2; exit 1; }`;
  return [
    `case "$AUTH_PASSWORD" in */*) ${fail("contains '/', which NEO4J_AUTH=neo4j/<password> cannot carry")} ;; esac`,
    `[ "\${#AUTH_PASSWORD}" -ge ${MIN_PASSWORD_LENGTH} ] || ${fail(`has fewer than ${MIN_PASSWORD_LENGTH} characters (dbms.security.auth_minimum_password_length)`)}`,
  ].join('\n');
}
