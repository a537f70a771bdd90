{
  # Builds the same addon as CMakeLists.txt, with node-gyp. Sources come from native/ (listed by
  # scripts/native-sources.cjs, the same set CMake globs), so the two builds cannot drift apart.
  "targets": [
    {
      "target_name": "routemark",
      "sources": ["<!@(node scripts/native-sources.cjs)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libmnl libnftnl)"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(pkg-config --libs libmnl libnftnl)"]
    }
  ]
}
