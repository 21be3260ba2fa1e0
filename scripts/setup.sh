#!/usr/bin/env bash
# Sets up PulmoLens on a fresh Debian machine or a normal workstation:
#   1. Debian system packages from scripts/system-packages.txt (when apt is available),
#   2. npm dependencies from package-lock.json,
#   3. the Electron binary (fetched from GitHub as usual; offline machines carry on without it),
#   4. onnxruntime-node's optional CUDA binaries are skipped unless ONNXRUNTIME_NODE_INSTALL=cuda12.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

install_system_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found: install these yourself if tests need them: $(grep -v '^#' scripts/system-packages.txt | xargs)"
    return 0
  fi
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < scripts/system-packages.txt
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "system packages: all present"
    return 0
  fi
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      say "WARNING: not root and no sudo; missing system packages: ${missing[*]}"
      return 0
    fi
  fi
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_node_packages() {
  # npm must not try to fetch Electron or onnxruntime's CUDA files during the install itself:
  # both live outside the npm registry. Electron is fetched explicitly below.
  export ELECTRON_SKIP_BINARY_DOWNLOAD=1
  export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
  if [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]]; then
    say "npm packages: up to date"
  else
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ "$ONNXRUNTIME_NODE_INSTALL" != "skip" ]]; then
    say "onnxruntime-node: installing optional binaries ($ONNXRUNTIME_NODE_INSTALL)"
    node node_modules/onnxruntime-node/script/install.js || say "WARNING: onnxruntime-node optional binaries could not be installed; CPU/WebGPU still work"
  else
    say "onnxruntime-node: CUDA binaries skipped (CPU and WebGPU providers are bundled; see README to enable CUDA)"
  fi
}

install_electron_binary() {
  if [[ -f node_modules/electron/path.txt ]]; then
    say "Electron binary: present"
    return 0
  fi
  say "fetching the Electron binary"
  if timeout 300 node node_modules/electron/install.js >/tmp/pulmolens-electron-install.log 2>&1; then
    say "Electron binary: installed"
  else
    say "NOTICE: the Electron binary could not be downloaded (this machine cannot reach GitHub)."
    say "        The desktop window cannot start here; 'npm start' falls back to the browser preview,"
    say "        and all tests run the real renderer in Debian's Chromium. Details: /tmp/pulmolens-electron-install.log"
  fi
}

build_native_addon() {
  # The vault's native AES-256-GCM decipher (native/vault_gcm.c): optional, the vault falls back to
  # Node's crypto without it.
  if node scripts/build-native.mjs; then
    say "native vault decipher: ready"
  else
    say "NOTICE: the native vault decipher was not built (see above); decoding from the vault uses Node's crypto, slower"
  fi
}

install_system_packages
install_node_packages
build_native_addon
install_electron_binary
say "done"
