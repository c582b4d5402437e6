{
  "targets": [
    {
      "target_name": "netplumb",
      "sources": [
        "<!@(node -e \"const fs=require('fs'),p=require('path');const w=d=>fs.readdirSync(d,{withFileTypes:true}).flatMap(e=>e.isDirectory()?w(p.join(d,e.name)):e.name.endsWith('.cc')?[p.join(d,e.name)]:[]);console.log([...w('native/core'),...w('native/binding')].sort().join(' '))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-O2"],
      "ldflags": ["-pthread"]
    },
    {
      "target_name": "netplumb-cni",
      "type": "executable",
      "sources": [
        "<!@(node -e \"const fs=require('fs');console.log(fs.readdirSync('native/cni-shim').filter(f=>f.endsWith('.c')).sort().map(f=>'native/cni-shim/'+f).join(' '))\")"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "ldflags": ["-s", "<!@(sh -c 'f=$(${CC:-cc} -print-file-name=libc.a); [ -f \"$f\" ] && echo -static || true')"]
    }
  ]
}
