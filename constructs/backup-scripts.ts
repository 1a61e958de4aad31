/**
 * The shell scripts every backup and restore Job shares. They run in rclone's image (Alpine:
 * busybox `sh`, `sha256sum`, `date`, `find`, `sort`, `awk`; rclone/rclone `Dockerfile`) and are
 * tested for real against an S3 server with rclone 1.68.2 (test/qdrant-backup.integration.test.ts,
 * test/redis-backup.test.ts, test/neo4j-backup.test.ts). Only POSIX options of the tools are used,
 * so they run with GNU coreutils as well.
 *
 * Layout of one backup in the bucket, below `<prefix>/<store>/`:
 *
 *     <id>/data/...     the store's files (snapshots, dump, RDB), as its step wrote them
 *     <id>/MANIFEST     `sha256sum` lines of every file below data/, computed before the upload
 *     <id>/COMPLETE     written last: a backup without it is incomplete and is never restored
 *
 * `<id>` is the UTC time the store's step started (`YYYYMMDDTHHMMSSZ`), so ids sort by age.
 * MANIFEST and COMPLETE are always Standard class: a restore reads them before it thaws anything.
 */

/**
 * The staging volume of a backup or restore pod: the store's step writes `id` and `data/` here,
 * the upload reads them; a restore downloads into it.
 */
export const STAGING_DIR = '/backup';

/** The rclone remotes the scripts use, configured from the environment (`RCLONE_CONFIG_<NAME>_*`). */
export const PRIMARY_REMOTE = 'obs';
export const REPLICA_REMOTE = 'replica';

/** Lines every store step starts with: a fresh staging folder and the backup id. */
export const STORE_STEP_PRELUDE = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
rm -rf "$STAGING/data" "$STAGING/id"
mkdir -p "$STAGING/data"
date -u +%Y%m%dT%H%M%SZ > "$STAGING/id"
`;

/**
 * Shell functions over the backups below a remote folder, whose folders are `<dirPrefix><id>`
 * (`''` for the stores this framework uploads, `backup_` for milvus-backup's): `valid_id`,
 * `complete_ids` (the complete ones, oldest first) and `prune <remote> <folder>` (those older than
 * RETENTION_DAYS, COMPLETE first, never the newest complete one).
 * @internal
 */
export const backupFolderFunctions = (dirPrefix: string) => `valid_id() { printf '%s' "$1" | grep -Eq '^[0-9]{8}T[0-9]{6}Z$'; }
digits() { printf '%s' "$1" | tr -d 'TZ'; }
complete_ids() { rclone lsf --files-only --max-depth 2 --include '/${dirPrefix}*/COMPLETE' "$1/" 2>/dev/null | sed -n 's|^${dirPrefix}\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)/COMPLETE$|\\1|p' | sort; }
prune() {
  folder="$1:$2"
  now=$(date -u +%s)
  cutoff=$(date -u -d "@$((now - RETENTION_DAYS * 86400))" +%Y%m%dT%H%M%SZ)
  newest=$(complete_ids "$folder" | tail -n 1)
  for old in $(rclone lsf --dirs-only "$folder/" | sed -n 's|^${dirPrefix}\\(.*\\)/$|\\1|p' | sort); do
    valid_id "$old" || continue
    [ "$(digits "$old")" -lt "$(digits "$cutoff")" ] || continue
    [ "$old" != "$newest" ] || { say "keeping $old: the newest complete backup, though older than $RETENTION_DAYS days"; continue; }
    say "pruning $folder/${dirPrefix}$old (older than $RETENTION_DAYS days)"
    # COMPLETE first: a prune cut short leaves an incomplete backup, never a broken "complete" one.
    rclone deletefile "$folder/${dirPrefix}$old/COMPLETE" 2>/dev/null || true
    rclone purge "$folder/${dirPrefix}$old"
  done
}
`;

const COMMON = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
${backupFolderFunctions('')}`;

/**
 * The upload: MANIFEST from the staged files, the files, a check of every file against the
 * bucket (size and MD5), MANIFEST, then COMPLETE; the same to the replica bucket; then the
 * pruning of backups older than RETENTION_DAYS in each bucket, never the newest complete one.
 *
 * Environment: STAGING, STORE, DEST (`<bucket>/<prefix>/<store>`), STORAGE_CLASS (S3 name),
 * RETENTION_DAYS, optional REPLICA_DEST, and the rclone remotes.
 */
export const UPLOAD_SCRIPT = `${COMMON}
cd "$STAGING"
[ -s id ] || fail "the $STORE step wrote no backup id into $STAGING/id: nothing to upload"
id=$(cat id)
valid_id "$id" || fail "the $STORE step wrote a malformed backup id '$id'"
[ -d data ] && [ -n "$(find data -type f | head -n 1)" ] || fail "the $STORE step left no files in $STAGING/data"
say "backup $id of $STORE: computing checksums"
( cd data && find . -type f | sed 's|^\\./||' | sort | while IFS= read -r f; do sha256sum "$f"; done ) > MANIFEST
files=$(wc -l < MANIFEST | tr -d ' ')
bytes=$(find data -type f -exec wc -c {} + | awk '$2 != "total" { n += $1 } END { printf "%.0f", n }')

upload() {
  remote=$1; dest="$1:$2/$id"
  say "uploading $files files ($bytes bytes) to $dest"
  rclone copy data "$dest/data" --s3-storage-class "$STORAGE_CLASS" --checksum
  rclone check data "$dest/data" --one-way
  rclone copyto MANIFEST "$dest/MANIFEST" --s3-storage-class STANDARD
  printf 'id=%s\\nstore=%s\\nfiles=%s\\nbytes=%s\\nfinished=%s\\n' "$id" "$STORE" "$files" "$bytes" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > COMPLETE
  rclone copyto COMPLETE "$dest/COMPLETE" --s3-storage-class STANDARD
  say "backup $id is complete in $dest"
}


upload ${PRIMARY_REMOTE} "$DEST"
prune ${PRIMARY_REMOTE} "$DEST"
# The second region after the first is complete and pruned: a failing copy fails the run (and
# alerts) without holding back the primary bucket's retention.
if [ -n "\${REPLICA_DEST:-}" ]; then
  upload ${REPLICA_REMOTE} "$REPLICA_DEST"
  prune ${REPLICA_REMOTE} "$REPLICA_DEST"
fi
rm -rf "$STAGING/data"
say "backup $id of $STORE done"
`;

/**
 * The first step of every restore: the named backup must be complete (COMPLETE present), every
 * file is downloaded and checked against MANIFEST, and no file may be missing or extra. Only then
 * is `$STAGING/verified` written; the store's restore step refuses to start without it, so a
 * missing or corrupted backup fails here, before the store is touched.
 *
 * Environment: STAGING, STORE, DEST, BACKUP_ID, and the rclone remote.
 */
export const DOWNLOAD_SCRIPT = `${COMMON}
valid_id "$BACKUP_ID" || fail "'$BACKUP_ID' is not a backup id (YYYYMMDDTHHMMSSZ)"
src="${PRIMARY_REMOTE}:$DEST/$BACKUP_ID"
rm -rf "$STAGING/data" "$STAGING/MANIFEST" "$STAGING/verified"
if ! rclone lsf "$src/COMPLETE" 2>/dev/null | grep -q COMPLETE; then
  say "ERROR: backup $BACKUP_ID of $STORE is missing or incomplete (no $src/COMPLETE)." >&2
  say "Complete backups in ${PRIMARY_REMOTE}:$DEST:" >&2
  complete_ids "${PRIMARY_REMOTE}:$DEST" | tail -n 20 >&2
  exit 1
fi
rclone copyto "$src/MANIFEST" "$STAGING/MANIFEST"
say "downloading backup $BACKUP_ID of $STORE from $src"
if ! rclone copy "$src/data" "$STAGING/data"; then
  fail "downloading $src/data failed; objects in the Cold class must be restored (thawed) first (docs/backup.md)"
fi
cd "$STAGING/data"
if ! sha256sum -c "$STAGING/MANIFEST" > "$STAGING/MANIFEST.check" 2>&1; then
  grep -v ': OK$' "$STAGING/MANIFEST.check" >&2 || true
  fail "backup $BACKUP_ID of $STORE does not match its MANIFEST: corrupted, nothing restored"
fi
expected=$(wc -l < "$STAGING/MANIFEST" | tr -d ' ')
found=$(find . -type f | wc -l | tr -d ' ')
[ "$expected" = "$found" ] || fail "backup $BACKUP_ID of $STORE holds $found files, its MANIFEST lists $expected: nothing restored"
printf '%s\\n' "$BACKUP_ID" > "$STAGING/verified"
say "backup $BACKUP_ID of $STORE verified: $found files match MANIFEST"
`;

/** Lines every store restore step starts with: it runs only after the download verified the backup. */
export const RESTORE_STEP_PRELUDE = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
[ -s "$STAGING/verified" ] || fail "the backup was not verified: nothing restored"
[ "$(cat "$STAGING/verified")" = "$BACKUP_ID" ] || fail "the verified backup is not $BACKUP_ID: nothing restored"
cd "$STAGING/data"
`;
