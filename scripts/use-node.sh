# Source this file (`. scripts/use-node.sh`): when the machine's Node is older than the
# project supports (engines: >=22.12), it puts Node 24 LTS first on PATH for this shell.
# Node comes from the npm registry (the node-linux-<arch> package: the binary and its
# headers), unpacked once into .tools/ of the checkout; npm_config_nodedir points native
# addons (better-sqlite3) at those headers, so nothing is downloaded from anywhere else.
# .ci/run sources it; developers on an older Node may too.

NODE_LTS_VERSION="${NODE_LTS_VERSION:-24.22.3}"

use_node_lts() {
  local major root arch dir tmp
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then return 0; fi
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node.sh: no Node package for $(uname -m); install Node 24 yourself" >&2; return 1 ;;
  esac
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.tools/node-$NODE_LTS_VERSION-linux-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    echo "use-node.sh: unpacking Node $NODE_LTS_VERSION from the npm registry into .tools/" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_LTS_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir"
    tar xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
  hash -r
}

use_node_lts
