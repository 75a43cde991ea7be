#!/bin/bash
# install_layout_test.sh - what "cmake --install" and the .deb put on a
# system, file by file.
#
#   install_layout_test.sh layout BUILD_DIR PREFIX CMAKE
#   install_layout_test.sh deb SOURCE_DIR BUILD_DIR PREFIX FAULT_INJECTION VERSION CMAKE CPACK GENERATOR CC CXX
#
# layout: installs BUILD_DIR into a throwaway DESTDIR and compares the tree
# with the expected one: the exact list of files with their modes (so a test
# binary or bounceseal-config-docs there fails it), the keys directory, and
# that a second install keeps an edited bounceseal.conf.
# deb: makes the .deb from a build fit for packaging (the one named by
# $BOUNCESEAL_PACKAGE_BUILD_DIR, else BUILD_DIR if it was configured with
# prefix /usr and without fault injection, else a release build of its own
# kept in BUILD_DIR/tests/install/package-build so that reruns are
# incremental; the first costs a few minutes), checks that cpack's guard
# refuses a build with fault injection, extracts the package with dpkg-deb
# -x, checks the same layout at the FHS paths, the control fields and
# conffiles, runs the maintainer scripts against stub commands (first
# install makes the user with adduser --system and enables the unit without
# starting it; upgrade, remove, purge), and runs the extracted binaries
# (keygen, milter -n, verify -n, sign, inspect) against the system's
# libraries.
# What it does not: install the package with dpkg or let its maintainer
# scripts reach the real adduser, systemctl or deb-systemd-helper (that
# would change this machine: users, systemd state), or start the milter.
# Needs no root. Exit status 77 (skipped) when cpack, dpkg-deb
# or dpkg-shlibdeps is missing.
set -euo pipefail

mode=$1; shift
work=$(mktemp -d "${TMPDIR:-/tmp}/bounceseal-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0 passed=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok - $what"; passed=$((passed + 1))
  else echo "FAIL - $what"; failed=$((failed + 1)); fi
}
# quiet LOG COMMAND...: runs COMMAND with its output in LOG, shown on failure.
quiet() {
  local log=$1; shift
  "$@" > "$log" 2>&1 || { cat "$log"; return 1; }
}
# Predicates for check, named so that failures read well.
lacks() { ! grep -Eq -- "$2" "$1"; }                    # FILE REGEX
has_word() { grep -qw -- "$2" <<< "$1"; }                # TEXT WORD
parses() { test -x "$1" && sh -n "$1"; }                 # SCRIPT
owned_by_root() { ! dpkg-deb -c "$1" | awk '{print $2}' | grep -vqx root/root; }
libraries_found() { ! ldd "$@" | grep -q 'not found'; } # BINARY...
no_runpath() {                                           # BINARY...
  local f
  for f; do readelf -d "$f" | grep -Eq 'RPATH|RUNPATH' && return 1; done
  return 0
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# expected_files PREFIX: "MODE PATH" of every file an install with PREFIX
# must contain, and nothing else. Written out from the FHS, not from the
# install rules, so that the rules are what is tested. Prefix /usr puts the
# configuration in /etc and the unit in Debian 12's /lib/systemd/system.
expected_files() {
  local p=$1 etc unit
  if [ "$p" = /usr ]; then etc=/etc unit=/lib/systemd/system
  else etc=$p/etc unit=$p/lib/systemd/system; fi
  local doc=$p/share/doc/bounceseal man=$p/share/man
  cat <<EOF
755 $p/sbin/bounceseal-milter
755 $p/bin/bounceseal-verify
755 $p/bin/bounceseal-keygen
755 $p/bin/bounceseal-sign
755 $p/bin/bounceseal-inspect
644 $etc/bounceseal/bounceseal.conf
644 $unit/bounceseal-milter.service
644 $p/lib/sysusers.d/bounceseal.conf
644 $p/lib/tmpfiles.d/bounceseal.conf
644 $man/man1/bounceseal-verify.1
644 $man/man1/bounceseal-sign.1
644 $man/man1/bounceseal-inspect.1
644 $man/man5/bounceseal.conf.5
644 $man/man8/bounceseal-milter.8
644 $man/man8/bounceseal-keygen.8
644 $doc/README.md
644 $doc/FORMAT.md
644 $doc/VERIFY.md
644 $doc/ADMIN.md
644 $doc/SECURITY.md
644 $doc/copyright
644 $doc/examples/bounceseal.conf
644 $doc/examples/sendmail.mc.example
644 $doc/examples/postfix-main.cf.example
644 $doc/examples/procmailrc.example
EOF
}

# check_tree ROOT PREFIX: the files under ROOT are exactly the expected ones.
check_tree() {
  local root=$1 prefix=$2 etc=$2/etc unit=$2/lib/systemd/system
  [ "$prefix" = /usr ] && etc=/etc unit=/lib/systemd/system
  expected_files "$prefix" | sort -k2 > "$work/expected"
  (cd "$root" && find . ! -type d -printf '%m /%P\n') | sort -k2 > "$work/actual"
  check "installed files and modes are exactly the expected ones" \
    diff -u "$work/expected" "$work/actual"
  check "no test binary and no bounceseal-config-docs installed" \
    lacks "$work/actual" 'config-docs|_test$|mtdrive|null_milter|milter_client' 
  check "$etc/bounceseal/keys is a directory of mode 0755" \
    test "$(stat -c %F:%a "$root$etc/bounceseal/keys" 2>&1)" = directory:755
  check "nothing installed is world-writable" \
    test -z "$(find "$root" -perm -o+w ! -type l -print -quit)"
  # The programs read /etc/bounceseal/bounceseal.conf unless told otherwise.
  local exec="ExecStart=$prefix/sbin/bounceseal-milter -f"
  [ "$etc" = /etc ] || exec+=" -c $etc/bounceseal/bounceseal.conf"
  check "the unit says $exec" grep -qx -- "$exec" "$root$unit/bounceseal-milter.service"
}

layout() {
  local build=$1 prefix=$2 cmake=$3 root=$work/root conf=$work/root$2/etc/bounceseal/bounceseal.conf
  check "cmake --install into a DESTDIR" \
    quiet "$work/install.log" env DESTDIR="$root" "$cmake" --install "$build"
  check_tree "$root" "$prefix"
  [ "$prefix" = /usr ] && conf=$root/etc/bounceseal/bounceseal.conf
  echo "Domain = example.org" >> "$conf"
  quiet "$work/install2.log" env DESTDIR="$root" "$cmake" --install "$build"
  check "a second install keeps an edited bounceseal.conf" \
    grep -qx "Domain = example.org" "$conf"
  finish
}

# make_stubs DIR: stand-ins for every command the maintainer scripts run.
# Each appends its name and arguments to $STUB_LOG and succeeds, except
# getent (exit $GETENT_RC: 2, no such user, unless set) and
# "deb-systemd-helper --quiet was-enabled" (exit $WAS_ENABLED: 0 as on a
# first install, unless set).
make_stubs() {
  local dir=$1 c
  mkdir -p "$dir"
  for c in getent adduser systemd-sysusers systemd-tmpfiles deb-systemd-helper \
           deb-systemd-invoke systemctl deluser; do
    cat > "$dir/$c" <<EOF
#!/bin/sh
echo "$c \$*" >> "\$STUB_LOG"
case "$c \$1 \$2" in
  "getent "*) exit \${GETENT_RC:-2} ;;
  "deb-systemd-helper --quiet was-enabled") exit \${WAS_ENABLED:-0} ;;
esac
exit 0
EOF
    chmod +x "$dir/$c"
  done
}

# run_script LOG SCRIPT ARG... [-- VAR=VALUE...]: runs a maintainer script
# with a PATH of stubs only, so that whatever it runs changes nothing here
# (a command without a stub is not found, and fails the script).
run_script() {
  local log=$1 script=$2; shift 2
  local args=() env=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && env=("$@")
  : > "$log"
  env -i PATH="$work/stubs" STUB_LOG="$log" "${env[@]}" /bin/sh -e "$script" "${args[@]}"
}

# fault_free BINARY: the milter does not read BOUNCESEAL_FAULT (the name is
# in the binary only where getenv() is given it).
fault_free() { ! strings "$1" | grep -q 'BOUNCESEAL_FAULT$'; }

deb() {
  local src=$1 build=$2 prefix=$3 fault=$4 version=$5 cmake=$6 cpack=$7
  local generator=$8 cc=$9 cxx=${10} pkg deb root=$work/root
  local tool
  for tool in "$cpack" dpkg-deb dpkg-shlibdeps strings; do
    command -v "$tool" > /dev/null || { echo "skipped: $tool missing"; exit 77; }
  done

  if [ "$fault" != OFF ]; then
    # This build must never become a package. The guard cpack runs on its
    # staged files is tried on an install of it: cpack itself would first
    # rebuild this build dir (its preinstall step) under the running tests.
    quiet "$work/staged.log" env DESTDIR="$work/staged" "$cmake" --install "$build"
    if "$cmake" -DCPACK_GENERATOR=DEB -DCPACK_TEMPORARY_INSTALL_DIRECTORY="$work/staged" \
        -P "$build/CPackCheckStaged.cmake" > "$work/refused.log" 2>&1; then
      check "cpack's guard refuses a build with fault injection" false
    else
      check "cpack's guard refuses a build with fault injection" \
        grep -q "built with fault injection" "$work/refused.log"
    fi
  fi

  if [ -n "${BOUNCESEAL_PACKAGE_BUILD_DIR:-}" ]; then
    pkg=$BOUNCESEAL_PACKAGE_BUILD_DIR
  elif [ "$prefix" = /usr ] && [ "$fault" = OFF ]; then
    pkg=$build
  else
    pkg=$build/tests/install/package-build
    echo "configuring the release build for packaging in $pkg"
    quiet "$work/configure.log" "$cmake" -S "$src" -B "$pkg" -G "$generator" \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DBOUNCESEAL_TESTS=OFF -DBOUNCESEAL_FAULT_INJECTION=OFF
  fi
  # Two jobs, as the test declares PROCESSORS 2 to ctest.
  quiet "$work/build.log" "$cmake" --build "$pkg" -j 2
  quiet "$work/cpack.log" "$cpack" --config "$pkg/CPackConfig.cmake" -G DEB -B "$work/cpack"
  check "cpack ran the guard on the staged files" \
    grep -q "pre-build script: .*CPackCheckStaged.cmake" "$work/cpack.log"
  deb=$(echo "$work"/cpack/bounceseal_*.deb)
  check "cpack made bounceseal_${version}_<arch>.deb" test -f "$deb"
  [ -f "$deb" ] || { cat "$work/cpack.log"; exit 1; }
  echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

  field() { dpkg-deb -f "$deb" "$1"; }
  check "Package: bounceseal" test "$(field Package)" = bounceseal
  check "Version: $version" test "$(field Version)" = "$version"
  check "Section: mail" test "$(field Section)" = mail
  check "Maintainer is set" test -n "$(field Maintainer)"
  check "Description has a synopsis and a long text" \
    test "$(field Description | wc -l)" -ge 3
  local dep
  for dep in libmilter1.0.1 libgmime-3.0-0 libglib2.0-0 libssl3 libspdlog1 libfmt9 libc6 adduser procps; do
    check "Depends names $dep" has_word "$(field Depends)" "$dep"
  done
  check "Recommends: procmail" test "$(field Recommends)" = procmail
  check "Suggests: sendmail-bin | postfix" test "$(field Suggests)" = "sendmail-bin | postfix"

  dpkg-deb -e "$deb" "$work/control"
  check "conffiles lists exactly /etc/bounceseal/bounceseal.conf" \
    test "$(cat "$work/control/conffiles" 2>&1)" = /etc/bounceseal/bounceseal.conf
  local script
  for script in postinst prerm postrm; do
    check "$script is an executable shell script that parses" parses "$work/control/$script"
  done
  check "every packaged file belongs to root:root" owned_by_root "$deb"

  # The maintainer scripts, run against stubs (no user is made, no unit
  # enabled). Where systemd runs, they would also reach systemctl and
  # deb-systemd-invoke: that no line outside comments starts the milter is
  # checked in the text.
  local c=$work/control log=$work/calls
  make_stubs "$work/stubs"
  check "first install: postinst configure succeeds" run_script "$log" "$c/postinst" configure
  check "first install: adduser --system makes user and group bounceseal" \
    grep -qx "adduser --system --group --home /nonexistent --no-create-home --comment bounceseal milter --quiet bounceseal" "$log"
  check "first install: tmpfiles.d/bounceseal.conf is applied" \
    grep -qx "systemd-tmpfiles --create bounceseal.conf" "$log"
  if [ -x /usr/bin/deb-systemd-helper ]; then
    check "first install: the unit is enabled" \
      grep -qx "deb-systemd-helper enable bounceseal-milter.service" "$log"
  else
    echo "skipped: enabling (the postinst skips it too: no /usr/bin/deb-systemd-helper here)"
  fi
  check "first install: nothing is started or restarted" lacks "$log" '(start|restart)'
  run_script "$log" "$c/postinst" configure 0.0.1 -- GETENT_RC=0 WAS_ENABLED=1 || true
  check "upgrade: an existing user is kept, a disabled unit stays disabled" \
    lacks "$log" '^adduser|^systemd-sysusers|^deb-systemd-helper enable'
  # shellcheck disable=SC2016  # eval expands them
  check "remove: prerm and postrm succeed" \
    eval 'run_script "$log.prerm" "$c/prerm" remove && run_script "$log" "$c/postrm" remove'
  if [ -x /usr/bin/deb-systemd-helper ]; then
    check "remove: the unit is masked" grep -qx "deb-systemd-helper mask bounceseal-milter.service" "$log"
    run_script "$log" "$c/postrm" purge || true
    check "purge: the unit's state is purged" grep -qx "deb-systemd-helper purge bounceseal-milter.service" "$log"
  fi
  check "purge: the user bounceseal is kept (Debian practice)" lacks "$log" deluser
  check "no maintainer script starts the milter" \
    lacks <(grep -hv '^[[:space:]]*#' "$c/postinst" "$c/prerm" "$c/postrm") \
      '(systemctl|deb-systemd-invoke)[^#]* (start|restart|reload|enable --now)( |$)'

  dpkg-deb -x "$deb" "$root"
  check_tree "$root" /usr
  check "the packaged milter was built without fault injection" \
    fault_free "$root/usr/sbin/bounceseal-milter"
  local exec
  exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root/lib/systemd/system/bounceseal-milter.service")
  check "the unit's ExecStart=$exec is the packaged milter" test -x "$root$exec"
  check "the packaged binaries find all their libraries" \
    libraries_found "$root"/usr/bin/* "$root"/usr/sbin/*
  check "the packaged binaries carry no build-tree RUNPATH" \
    no_runpath "$root"/usr/bin/* "$root"/usr/sbin/*

  # The extracted binaries at work, against the system's libraries.
  local bin=$root/usr/bin keys=$work/keys as_user=()
  mkdir "$keys"
  check "bounceseal-keygen makes a key" \
    quiet "$work/keygen.log" "$bin/bounceseal-keygen" -d example.org -s pkgtest -D "$keys"
  # As root the milter checks its UserID, and user bounceseal need not exist here.
  [ "$(id -u)" = 0 ] && as_user=(-u nobody)
  check "bounceseal-milter -n accepts the key" \
    "$root/usr/sbin/bounceseal-milter" -n "${as_user[@]}" -k "$keys/pkgtest.private" -s pkgtest -d example.org
  check "bounceseal-verify -n accepts the keyring" "$bin/bounceseal-verify" -K "$keys" -n
  printf 'From: a@example.org\nTo: b@example.net\nSubject: t\nMessage-ID: <1@example.org>\n\nhello\n' \
    > "$work/message"
  "$bin/bounceseal-sign" -k "$keys/pkgtest.private" -d example.org -s pkgtest \
    < "$work/message" > "$work/sealed" || true
  "$bin/bounceseal-inspect" -K "$keys" < "$work/sealed" > "$work/inspect" 2>&1 || true
  check "bounceseal-sign seals a message that bounceseal-inspect verifies" \
    grep -q "verdict: pass" "$work/inspect"
  finish
}

case $mode in
  layout) layout "$@" ;;
  deb) deb "$@" ;;
  *) echo "usage: $0 layout|deb ARGS..." >&2; exit 2 ;;
esac
