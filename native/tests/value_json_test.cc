// Unit tests of parse_json: the JSON text bulk arguments cross in becomes the
// same Value tree the addon's member-by-member conversion makes.
#include "check.h"
#include "core/errors.h"
#include "core/value_json.h"

using namespace netplumb;

TEST("objects, arrays and scalars become the Value tree the addon's conversion makes") {
  Value v = parse_json(R"({"changes":[{"action":"add","object":"route","args":{"destination":"10.128.1.0/24","family":4,"onlink":true,"nhid":16777217}}],"x":null,"d":1.5,"n":-3})", "argsJson");
  const Value& c = v["changes"].as_array("changes").at(0);
  CHECK_EQ(c.str("action"), std::string("add"));
  CHECK_EQ(c["args"].str("destination"), std::string("10.128.1.0/24"));
  CHECK_EQ(c["args"].integer("family"), int64_t{4});
  CHECK_EQ(c["args"].integer("nhid"), int64_t{16777217});
  CHECK(c["args"].bool_or("onlink", false));
  CHECK(!v.has("x"));
  CHECK(std::holds_alternative<double>(v["d"].v));
  CHECK_EQ(v.integer("n"), int64_t{-3});
}

TEST("a whole number written with a fraction or exponent is an integer, as from JavaScript") {
  Value v = parse_json(R"({"a":2.0,"b":1e3})", "t");
  CHECK_EQ(v.integer("a"), int64_t{2});
  CHECK_EQ(v.integer("b"), int64_t{1000});
}

TEST("string escapes and surrogate pairs come out as UTF-8") {
  Value v = parse_json(R"(["a\"b\\c\/\n\t", "\u00e9\u20ac", "\ud83d\ude00"])", "t");
  const Array& a = v.as_array("t");
  CHECK_EQ(std::get<std::string>(a[0].v), std::string("a\"b\\c/\n\t"));
  CHECK_EQ(std::get<std::string>(a[1].v), std::string("\xc3\xa9\xe2\x82\xac"));
  CHECK_EQ(std::get<std::string>(a[2].v), std::string("\xf0\x9f\x98\x80"));
}

TEST("malformed text is an InvalidArgument naming the argument") {
  CHECK_THROWS(InvalidArgument, parse_json("{\"a\":}", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("[1,2", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("{\"a\":1} x", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("\"open", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("\"\\ud83d\\u0041\"", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("tru", "argsJson"));
  CHECK_THROWS(InvalidArgument, parse_json("-", "argsJson"));
  try {
    parse_json("{\"a\":}", "argsJson");
  } catch (const InvalidArgument& e) {
    CHECK_EQ(e.field, std::string("argsJson"));
  }
}
