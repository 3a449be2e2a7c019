// What a text block may insert: the built-in variables and those the host's
// documents offer per document type (ABI 1.1 variable_catalogue).
#pragma once

#include "erpmail/Context.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::textblock {

struct VariableInfo {
    std::string name;
    std::string description;
    std::string type; ///< text, date, amount, number
    std::string example;
    std::string doctype; ///< empty for a built-in
};

class Catalogue {
public:
    explicit Catalogue(Context& context) : context_(context) {}

    /// The built-ins and, with a doctype, that type's variables; without one,
    /// those of every type a block may be meant for (erpmail.textblock.doctypes).
    std::vector<VariableInfo> list(const std::optional<std::string>& doctype) const;
    /// What a block meant for `doctypes` (empty: any of
    /// erpmail.textblock.doctypes) may use: a built-in, `body`, or a
    /// variable every one of those types offers. The host is asked once,
    /// here. Without a host catalogue every document variable is let
    /// through (see checksDocuments()).
    std::function<bool(const std::string&)> knownFor(const std::vector<std::string>& doctypes) const;
    /// Whether the host lists its document variables, so that knows() checks them.
    bool checksDocuments() const { return context_.host().hasVariableCatalogue(); }
    /// The document types a block may be meant for.
    std::vector<std::string> doctypes() const;

    static const std::vector<VariableInfo>& builtins();

private:
    std::vector<VariableInfo> ofType(const std::string& doctype) const;

    Context& context_;
};

} // namespace erpmail::textblock
