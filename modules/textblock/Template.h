// The text-block template language: {{ name | format:"arg" }} placeholders
// and one conditional, {{#if name}}…{{else}}…{{/if}}. Parsed once into a
// tree, checked when a block is saved, rendered when a mail is made.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail::textblock {

/// Where a problem is in a template: line and column count from 1, in
/// characters (UTF-8 sequences count once).
struct TemplatePosition {
    int line = 1;
    int column = 1;
};

/// One problem found in a template.
struct TemplateError {
    /// broken_placeholder, unknown_format, bad_format_argument, unbalanced_if,
    /// unknown_variable
    std::string kind;
    TemplatePosition at;
    std::string variable; ///< the variable concerned, when there is one
    std::string message;  ///< says what is wrong, with line and column
};

/// One format applied to a value, as written: `amount:"CHF"` is
/// {name "amount", argument "CHF"}.
struct Format {
    std::string name;
    std::optional<std::string> argument;
};

/// One use of a variable in a template.
struct VariableUse {
    std::string name;
    TemplatePosition at;
    std::vector<Format> formats;
    bool condition = false; ///< in {{#if name}}: only tested, never shown
};

/// How values are written into the output.
enum class Escaping {
    Text,    ///< verbatim
    Html,    ///< & < > " ' as entities, line breaks as <br> (htmlLines)
    Subject, ///< verbatim; a value with CR or LF is refused
};

/// Turns a value with its formats into text (LocaleFormat does it with ICU).
/// Throws TemplateValueError when a value does not fit its format.
using FormatValue =
    std::function<std::string(const std::string& value, const Format& format, const VariableUse& use)>;

/// A value a template needs that the document does not have, or that does
/// not fit its format. Names the variable.
class TemplateValueError : public std::runtime_error {
public:
    TemplateValueError(std::string variable, const std::string& message)
        : std::runtime_error(message), variable_(std::move(variable))
    {
    }
    const std::string& variable() const { return variable_; }

private:
    std::string variable_;
};

/// The formats the language knows: amount, number, date, upper, lower, default.
bool isKnownFormat(const std::string& name);

/// What is wrong with a format's argument (number:"x", amount:"francs", a
/// default without its text), or an empty string when nothing is.
std::string formatArgumentProblem(const Format& format);

class Template {
public:
    /// Parses `source`. Problems are added to `errors`, each with its
    /// position; what could be parsed is kept, so all problems of a text
    /// are found in one pass. Formats are checked here too.
    static Template parse(const std::string& source, std::vector<TemplateError>& errors);
    /// Parses and throws std::invalid_argument with the first problem.
    static Template parse(const std::string& source);

    Template();
    ~Template();
    Template(Template&&) noexcept;
    Template& operator=(Template&&) noexcept;

    /// Every variable the template uses, in order of appearance.
    const std::vector<VariableUse>& variables() const { return uses_; }

    /// Fills the template. lookup(name) gives a variable's value or nullopt
    /// when the document has none; a missing (or empty) value that has no
    /// `default` format throws TemplateValueError, unless allowEmpty or
    /// mayBeEmpty(name). A value goes through its formats in order, then is
    /// escaped. Throws TemplateValueError when the result would be longer
    /// than maxBytes.
    std::string render(const std::function<std::optional<std::string>(const std::string&)>& lookup,
                       const FormatValue& format, Escaping escaping, bool allowEmpty = false,
                       const std::function<bool(const std::string&)>& mayBeEmpty = {},
                       std::size_t maxBytes = std::size_t{16} << 20) const;

    struct Node;

private:
    std::vector<VariableUse> uses_;
    std::unique_ptr<Node> root_;
};

/// Checks a parsed template's variables against what may be used: one
/// unknown_variable error per use of a name `known` refuses.
void checkVariables(const Template& parsed, const std::function<bool(const std::string&)>& known,
                    std::vector<TemplateError>& errors);

/// "& < > \" '" as HTML entities.
std::string escapeHtml(const std::string& text);
/// Text as HTML: escaped, each line break a <br>, so that what a user wrote
/// on several lines keeps its lines in an HTML body.
std::string htmlLines(const std::string& text);

} // namespace erpmail::textblock
