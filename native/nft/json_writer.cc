#include "json_writer.h"

namespace routemark {
namespace nft {

void JsonWriter::Quoted(const char* text) {
  static const char kHex[] = "0123456789abcdef";
  out_ += '"';
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(text); *p != 0; ++p) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += static_cast<char>(c);
    } else if (c < 0x20) {
      out_ += "\\u00";
      out_ += kHex[c >> 4];
      out_ += kHex[c & 15];
    } else {
      // Bytes >= 0x80 pass through: names and prefixes are UTF-8 (or treated as such).
      out_ += static_cast<char>(c);
    }
  }
  out_ += '"';
}

void JsonWriter::Hex(const void* data, size_t length) {
  static const char kHex[] = "0123456789abcdef";
  Separator();
  out_ += '"';
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < length; i++) {
    out_ += kHex[bytes[i] >> 4];
    out_ += kHex[bytes[i] & 15];
  }
  out_ += '"';
}

}  // namespace nft
}  // namespace routemark
