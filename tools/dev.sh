#!/usr/bin/env bash
# The two quick-start commands of README.md, and what CI runs.
#   tools/dev.sh run    install what is missing, build, create the demo ledger in ./data, verify
#                       it, then serve it with ledgerd on 127.0.0.1:8080 until Ctrl-C
#   tools/dev.sh test   install what is missing, build, run every test (then the sanitizer build
#                       when LEDGER_SANITIZE_TESTS=1)
# Works on a fresh Debian 12 machine as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build pkg-config librocksdb-dev libsodium-dev libssl-dev libboost-dev
          libsimdjson-dev libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev
          libbenchmark-dev libgoogle-perftools-dev)
JOBS=$(nproc)

install_missing() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

run_tests() {  # run_tests DIR
  (cd "$1" && ctest --output-on-failure -j "$JOBS" --timeout 600)
}

case "${1:-}" in
  run)
    install_missing
    build build
    DATA=${LEDGER_DATA:-./data}
    if [ ! -d "$DATA/db" ]; then
      ./build/ledgerctl demo --data "$DATA"
    else
      echo "using the existing ledger in $DATA (remove it for a fresh demo)"
    fi
    ./build/ledgerctl verify --data "$DATA"
    LISTEN=${LEDGER_LISTEN:-127.0.0.1:8080}
    echo
    echo "serving the demo ledger on http://$LISTEN (Ctrl-C stops it). In another terminal:"
    echo "  ./build/ledgerctl get --server http://$LISTEN --key $DATA/keys/auditor.key '/v1/balances'"
    echo "  ./build/ledgerctl get --server http://$LISTEN --key $DATA/keys/auditor.key '/v1/plans?region=150825'"
    echo "  curl http://$LISTEN/checkpoint"
    exec ./build/ledgerd --data "$DATA" --listen "$LISTEN"
    ;;
  test)
    install_missing
    build build
    run_tests build
    if [ "${LEDGER_SANITIZE_TESTS:-0}" = 1 ]; then
      build build-asan -DLEDGER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
      run_tests build-asan
    fi
    ;;
  *)
    echo "usage: tools/dev.sh run|test" >&2
    exit 2
    ;;
esac
