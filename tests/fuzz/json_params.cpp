// The parameters of invoke(): the JSON parser as the dispatcher calls it,
// then the JSON Schema validator against the schema of a real operation
// (json_params/schemas.json, the plugin's catalogue). The first byte picks the
// operation; with 0xFF the input is instead a schema of its own, a NUL, and
// the parameters, so that the validator also meets schemas it never saw.
#include "SchemaValidator.h"
#include "erpmail/Context.h"
#include "erpmail/OperationError.h"

#include <Poco/JSON/Parser.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<Poco::JSON::Object::Ptr> loadSchemas()
{
    std::ifstream in(ERPMAIL_FUZZ_DIR "/json_params/schemas.json");
    std::stringstream text;
    text << in.rdbuf();
    Poco::JSON::Parser parser;
    auto ops = parser.parse(text.str()).extract<Poco::JSON::Array::Ptr>();
    std::vector<Poco::JSON::Object::Ptr> schemas;
    for (std::size_t i = 0; i < ops->size(); ++i)
        schemas.push_back(ops->getObject(static_cast<unsigned>(i))->getObject("params"));
    if (schemas.empty()) std::abort();
    return schemas;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::vector<Poco::JSON::Object::Ptr> schemas = loadSchemas();
    if (size == 0) return 0;
    std::string params(reinterpret_cast<const char*>(data) + 1, size - 1);
    Poco::JSON::Object::Ptr schema;
    if (data[0] == 0xFF) {
        const std::size_t nul = params.find('\0');
        if (nul == std::string::npos) return 0;
        try {
            Poco::JSON::Parser parser;
            auto value = parser.parse(params.substr(0, nul));
            if (value.type() != typeid(Poco::JSON::Object::Ptr)) return 0;
            schema = value.extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception&) {
            return 0;
        }
        params.erase(0, nul + 1);
    } else {
        schema = schemas[data[0] % schemas.size()];
    }
    try {
        erpmail::validateAgainstSchema(schema, erpmail::parseObject(params));
    } catch (const erpmail::OperationError&) {
    } catch (const Poco::Exception&) {
        // Only a schema of the input's own may be malformed; the plugin's are checked by its tests.
        if (data[0] != 0xFF) throw;
    }
    return 0;
}
