// A minimal JSON text writer for the parser's output: one string for a whole dump, so that
// JavaScript pays one crossing and one JSON.parse however many objects the dump holds.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace routemark {
namespace nft {

class JsonWriter {
 public:
  void BeginObject() { Separator(); out_ += '{'; first_ = true; }
  void EndObject() { out_ += '}'; first_ = false; }
  void BeginArray() { Separator(); out_ += '['; first_ = true; }
  void EndArray() { out_ += ']'; first_ = false; }
  void Key(const char* key) {
    Separator();
    Quoted(key);
    out_ += ':';
    first_ = true;  // the value that follows needs no comma
  }
  void String(const char* text) {
    Separator();
    Quoted(text);
  }
  void Unsigned(uint64_t value) { Separator(); out_ += std::to_string(value); }
  void Signed(int64_t value) { Separator(); out_ += std::to_string(value); }
  void Hex(const void* data, size_t length);
  // Appends a value that is already JSON (used for nothing but literals).
  void Raw(const char* json) { Separator(); out_ += json; }
  const std::string& str() const { return out_; }

 private:
  void Quoted(const char* text);
  void Separator() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

}  // namespace nft
}  // namespace routemark
