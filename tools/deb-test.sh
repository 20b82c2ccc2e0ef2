#!/usr/bin/env bash
# CI: build the Debian package, install it with apt on this machine, and check the installation:
# the installed `yizhan hall --offscreen --exit-when-ready`, `yizhan doctor` against a virtual
# LED board and an installed office server, the units with `systemd-analyze verify`, an upgrade
# to a newer version (config and data kept, a backup taken) and a refused downgrade onto a newer
# schema, then purge and check nothing is left. Needs root (or sudo).
# Prints the figures the README reports (package size, install and doctor times).
# Usage: bash tools/deb-test.sh [--keep] (--keep: leave the package installed)
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
keep=0; [[ "${1:-}" == "--keep" ]] && keep=1
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
# As the package's user; setpriv execs (no child left behind), so $! is the command's own pid.
AS_YIZHAN=($SUDO setpriv --reuid=yizhan --regid=yizhan --init-groups env -u QT_QPA_PLATFORM HOME=/var/lib/yizhan)
as_yizhan() { "${AS_YIZHAN[@]}" "$@"; }
pids=()
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/yizhan-deb-test.XXXXXX")
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$LOGS"
  if ((!keep)) && dpkg-query -W -f='${Status}' yizhan 2>/dev/null | grep -q "ok installed\|config-files"; then
    $SUDO apt-get purge -y -qq yizhan >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

t=$(now)
bash tools/build-deb.sh
build_s=$(since "$t")
deb=$(ls -t dist/yizhan_*_"$(dpkg --print-architecture)".deb | head -1)
size_mb=$(du -m "$deb" | cut -f1)

echo "== install with apt"
if dpkg-query -W -f='${Status}' yizhan 2>/dev/null | grep -q "ok installed\|config-files"; then
  $SUDO apt-get purge -y -qq yizhan >/dev/null   # a fresh install, not a same-version no-op
fi
t=$(now)
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "./$deb" >$LOGS/install.log 2>&1 || { cat $LOGS/install.log; exit 1; }
install_s=$(since "$t")
installed_mb=$(( $(dpkg-query -W -f='${Installed-Size}' yizhan) / 1024 ))
test -x /usr/bin/yizhan && test -f /etc/yizhan/hall.toml && test -d /var/lib/yizhan && getent passwd yizhan >/dev/null
grep -qx /etc/yizhan/hall.toml /var/lib/dpkg/info/yizhan.conffiles

echo "== systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/yizhan-hall.service /lib/systemd/system/yizhan-office.service

echo "== an installed office server and a virtual LED board"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
office_port=$(free_port)
token=$(as_yizhan yizhan office --config /etc/yizhan/office.toml add-hall 幸福社区工作站 --code xingfu | tail -1)
"${AS_YIZHAN[@]}" yizhan office --config /etc/yizhan/office.toml serve --port "$office_port" >$LOGS/office.log 2>&1 &
pids+=($!)
board_port=$(free_port)
"${AS_YIZHAN[@]}" yizhan led-sim --listen "127.0.0.1:$board_port" >$LOGS/board.log 2>&1 &
pids+=($!)
xfile=$(mktemp); Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$xfile" 2>/dev/null &
pids+=($!)
for _ in $(seq 300); do [[ -s $xfile ]] && break; sleep 0.1; done   # Xvfb picks a free display itself
display=$(head -1 "$xfile"); rm -f "$xfile"
python3 - "$office_port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1); break
    except OSError:
        time.sleep(0.1)
PY
# The technician's edits to the installed config: this hall's office, board and (silent) sound.
$SUDO python3 - "$office_port" "$token" "$board_port" <<'PY'
import re, sys
port, token, board = sys.argv[1:]
path = "/etc/yizhan/hall.toml"
text = open(path, encoding="utf-8").read()
text = re.sub(r'^url = ""', f'url = "http://127.0.0.1:{port}"', text, count=1, flags=re.M)
text = re.sub(r'^token = ""', f'token = "{token}"', text, count=1, flags=re.M)
text = re.sub(r'^port = ""', f'port = "socket://127.0.0.1:{board}"', text, count=1, flags=re.M)
text = re.sub(r'^player = ""', 'player = "aplay -q -D null"', text, count=1, flags=re.M)
text = re.sub(r'^port = 8731', 'port = 0', text, count=1, flags=re.M)  # no fixed port on a shared machine
open(path, "w", encoding="utf-8").write(text)
PY
echo "== installed yizhan hall --offscreen --exit-when-ready (with that office and board)"
t=$(now)
as_yizhan yizhan hall --config /etc/yizhan/hall.toml --offscreen --exit-when-ready 2>&1 | tail -3
hall_s=$(since "$t")
test -f /var/lib/yizhan/hall.sqlite3

echo "== installed yizhan doctor"
t=$(now)
as_yizhan env DISPLAY=":$display" yizhan doctor --no-touch
doctor_s=$(since "$t")

echo "== the kiosk session (xinit + the hall app) exits with the app's status, for Restart=on-failure"
kiosk_session() {  # kiosk_session EXPECTED-STATUS ENV...: the unit's ExecStart on a private Xvfb
  local expected=$1; shift
  local rt; rt=$(mktemp -d); $SUDO chown yizhan "$rt"
  local xd; xd=$(python3 -c 'import os; print(next(n for n in range(100, 1000)
      if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock")))')
  set +e
  as_yizhan env RUNTIME_DIRECTORY="$rt" YIZHAN_XSERVER="/usr/bin/Xvfb :$xd -screen 0 1920x1080x24 -nolisten tcp" \
    "$@" /opt/yizhan/venv/bin/yizhan-kiosk >"$LOGS/kiosk.log" 2>&1
  local got=$?
  set -e
  rm -rf "$rt"
  [[ $got == "$expected" ]] || { cat "$LOGS/kiosk.log"; echo "deb-test: kiosk session exited $got, not $expected" >&2; exit 1; }
}
kiosk_session 0 YIZHAN_HALL_ARGS=--exit-when-ready
kiosk_session 2 YIZHAN_CONFIG=/nonexistent/hall.toml YIZHAN_HALL_ARGS=--exit-when-ready   # a hall that cannot start
grep -q "cannot read the file" "$LOGS/kiosk.log"

echo "== an upgrade keeps the technician's config and the hall's data, after a backup"
version=$(dpkg-query -W -f='${Version}' yizhan)
count_rows() { $SUDO python3 -c 'import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
tables = [r[0] for r in c.execute("select name from sqlite_master where type = ?", ("table",))]
print(sum(c.execute(f"select count(*) from \"{t}\"").fetchone()[0] for t in tables))' /var/lib/yizhan/hall.sqlite3; }
rows_before=$(count_rows)
echo '# the technician was here' | $SUDO tee -a /etc/yizhan/hall.toml >/dev/null
# The same build as a newer version: unpacked, relabelled, packed uncompressed (quick).
dpkg-deb -R "$deb" "$LOGS/newer"
sed -i "s/^Version: .*/Version: ${version}+ci1/" "$LOGS/newer/DEBIAN/control"
dpkg-deb --root-owner-group -Znone --build "$LOGS/newer" "$LOGS/yizhan_newer.deb" >/dev/null
rm -rf "$LOGS/newer"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  "$LOGS/yizhan_newer.deb" >$LOGS/upgrade.log 2>&1 || { cat $LOGS/upgrade.log; exit 1; }
rm -f "$LOGS/yizhan_newer.deb"
grep "yizhan upgrade:" $LOGS/upgrade.log
[[ $(dpkg-query -W -f='${Version}' yizhan) == "${version}+ci1" ]]
grep -q '# the technician was here' /etc/yizhan/hall.toml   # a conffile: kept
ls /var/lib/yizhan/backups/hall-*-before-"$version".sqlite3 >/dev/null
[[ $(count_rows) == "$rows_before" ]] || { echo "deb-test: the upgrade changed the cache's rows" >&2; exit 1; }

echo "== a downgrade onto a newer schema is refused"
$SUDO python3 -c 'import sqlite3; c = sqlite3.connect("/var/lib/yizhan/hall.sqlite3"); c.execute("update alembic_version set version_num = ?", ("9999_future",)); c.commit()'
if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --allow-downgrades \
    "./$deb" >$LOGS/downgrade.log 2>&1; then
  echo "deb-test: installing over a newer schema was not refused" >&2; exit 1
fi
grep -q "refusing to downgrade: the hall cache /var/lib/yizhan/hall.sqlite3 has schema revision 9999_future" \
  $LOGS/downgrade.log || { cat $LOGS/downgrade.log; exit 1; }
[[ $(dpkg-query -W -f='${Version} ${Status}' yizhan) == "${version}+ci1 install ok installed" ]]  # the newer stays
check=$(as_yizhan yizhan db check --config /etc/yizhan/hall.toml 2>&1 || true)   # exits 1: this version cannot use it
grep -q "schema revision 9999_future" <<<"$check" && ! grep -q Traceback <<<"$check" || { echo "$check"; exit 1; }

echo "== purge"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
pids=()
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/yizhan-deb-test.XXXXXX")
$SUDO apt-get purge -y -qq yizhan >/dev/null
for gone in /opt/yizhan /etc/yizhan /var/lib/yizhan /usr/bin/yizhan /lib/systemd/system/yizhan-hall.service; do
  [[ ! -e $gone ]] || { echo "deb-test: $gone is left after purge" >&2; exit 1; }
done
! getent passwd yizhan >/dev/null || { echo "deb-test: user yizhan is left after purge" >&2; exit 1; }
echo "deb-test: ok. $(basename "$deb"): ${size_mb} MB (${installed_mb} MB installed); build ${build_s} s," \
  "apt install ${install_s} s, installed hall start-to-exit ${hall_s} s, doctor ${doctor_s} s"
