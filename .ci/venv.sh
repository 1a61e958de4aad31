# Sourced by the .ci scripts that keep a cached Python 3.11 virtualenv: step timing under a log
# prefix, the Python check, and one run at a time per virtualenv. Set LOG_PREFIX, PYTHON and VENV first.

step_started=0
step() { step_started=$SECONDS; echo "$LOG_PREFIX: $*"; }
done_step() { echo "$LOG_PREFIX:   done in $((SECONDS - step_started))s"; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "$LOG_PREFIX: $PYTHON is not Python 3.11 ($("$PYTHON" --version 2>&1)); MemOS's image and the pins are for 3.11" >&2
  exit 1
fi

# One run at a time per virtualenv (two CI jobs on one machine share it).
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null; then
  exec 9>"$VENV.lock"
  flock 9
fi
