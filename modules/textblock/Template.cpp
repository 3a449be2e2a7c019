#include "textblock/Template.h"

#include <algorithm>
#include <cctype>

namespace erpmail::textblock {

struct Template::Node {
    enum class Kind { Sequence, Text, Variable, If } kind = Kind::Sequence;
    std::string text;         ///< Text
    std::size_t use = 0;      ///< Variable, If: index into uses_
    std::vector<Node> then;   ///< Sequence, If
    std::vector<Node> otherwise; ///< If, after {{else}}
};

namespace {

// Deeper {{#if}} nesting is refused: the tree is walked recursively.
constexpr std::size_t kMaxIfDepth = 16;
// A text with more problems is not parsed further: each one costs a scan of its line.
constexpr std::size_t kMaxErrors = 50;

bool isNameChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

std::string where(const TemplatePosition& at)
{
    return "line " + std::to_string(at.line) + ", column " + std::to_string(at.column);
}

class Parser {
public:
    Parser(const std::string& source, std::vector<VariableUse>& uses, std::vector<TemplateError>& errors)
        : s_(source), uses_(uses), errors_(errors)
    {
    }

    Template::Node run()
    {
        Template::Node root;
        struct Open {
            Template::Node node;
            TemplatePosition at;
            bool inElse = false;
        };
        std::vector<Open> open;
        auto current = [&]() -> std::vector<Template::Node>& {
            if (open.empty()) return root.then;
            return open.back().inElse ? open.back().node.otherwise : open.back().node.then;
        };
        std::string text;
        auto flush = [&] {
            if (text.empty()) return;
            Template::Node t;
            t.kind = Template::Node::Kind::Text;
            t.text = std::move(text);
            text.clear();
            current().push_back(std::move(t));
        };
        while (pos_ < s_.size() && errors_.size() < kMaxErrors) {
            if (s_.compare(pos_, 2, "{{") != 0) {
                text += advance();
                continue;
            }
            const TemplatePosition at = position_;
            const std::size_t start = pos_;
            std::optional<std::string> inner = placeholder();
            if (!inner) {
                fail("broken_placeholder", at, "", "a placeholder opened at " + where(at) + " is not closed with }}");
                pos_ = start;
                position_ = at;
                text += advance();
                text += advance();
                continue;
            }
            flush();
            std::string body = trim(*inner);
            if (body.compare(0, 3, "#if") == 0) {
                std::string name = trim(body.substr(3));
                if (body.size() > 3 && body[3] != ' ') name.clear();
                if (!validName(name)) {
                    fail("broken_placeholder", at, name, "{{#if}} at " + where(at) + " needs one variable name");
                }
                if (open.size() >= kMaxIfDepth) {
                    fail("unbalanced_if", at, name,
                         "{{#if}} at " + where(at) + " is nested deeper than " + std::to_string(kMaxIfDepth) +
                             " levels");
                    break;
                }
                Open o;
                o.node.kind = Template::Node::Kind::If;
                o.node.use = addUse(name, at, {}, true);
                o.at = at;
                open.push_back(std::move(o));
            } else if (body == "else") {
                if (open.empty() || open.back().inElse)
                    fail("unbalanced_if", at, "", "{{else}} at " + where(at) + " has no {{#if}} before it");
                else
                    open.back().inElse = true;
            } else if (body == "/if") {
                if (open.empty()) {
                    fail("unbalanced_if", at, "", "{{/if}} at " + where(at) + " closes no {{#if}}");
                } else {
                    Template::Node done = std::move(open.back().node);
                    open.pop_back();
                    current().push_back(std::move(done));
                }
            } else {
                variable(body, at, current());
            }
        }
        flush();
        while (!open.empty()) {
            const Open& o = open.back();
            fail("unbalanced_if", o.at, uses_[o.node.use].name,
                 "{{#if " + uses_[o.node.use].name + "}} at " + where(o.at) + " is not closed with {{/if}}");
            Template::Node done = std::move(open.back().node);
            open.pop_back();
            current().push_back(std::move(done));
        }
        return root;
    }

private:
    // One character (a whole UTF-8 sequence) of the source.
    std::string advance()
    {
        std::size_t n = 1;
        while (pos_ + n < s_.size() && (static_cast<unsigned char>(s_[pos_ + n]) & 0xC0) == 0x80) ++n;
        std::string c = s_.substr(pos_, n);
        pos_ += n;
        if (c == "\n") {
            ++position_.line;
            position_.column = 1;
        } else {
            ++position_.column;
        }
        return c;
    }

    // After "{{": the text up to "}}", quotes respected; nullopt when a line
    // ends or the source ends first.
    std::optional<std::string> placeholder()
    {
        advance();
        advance();
        std::string inner;
        bool quoted = false;
        while (pos_ < s_.size()) {
            if (!quoted && s_.compare(pos_, 2, "}}") == 0) {
                advance();
                advance();
                return inner;
            }
            std::string c = advance();
            if (c == "\n" || c == "\r") return std::nullopt;
            if (c == "\\" && quoted && pos_ < s_.size()) {
                inner += c;
                c = advance();
            } else if (c == "\"") {
                quoted = !quoted;
            }
            inner += c;
        }
        return std::nullopt;
    }

    static std::string trim(const std::string& s)
    {
        std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }

    static bool validName(const std::string& name)
    {
        return !name.empty() && std::all_of(name.begin(), name.end(), isNameChar);
    }

    std::size_t addUse(const std::string& name, TemplatePosition at, std::vector<Format> formats, bool condition)
    {
        uses_.push_back({name, at, std::move(formats), condition});
        return uses_.size() - 1;
    }

    void variable(const std::string& body, TemplatePosition at, std::vector<Template::Node>& into)
    {
        std::size_t i = 0;
        while (i < body.size() && isNameChar(body[i])) ++i;
        std::string name = body.substr(0, i);
        if (name.empty()) {
            fail("broken_placeholder", at, "", "the placeholder at " + where(at) + " has no variable name");
            return;
        }
        std::vector<Format> formats;
        bool broken = false;
        while (i < body.size() && !broken) {
            while (i < body.size() && body[i] == ' ') ++i;
            if (i == body.size()) break;
            if (body[i] != '|') {
                broken = true;
                break;
            }
            ++i;
            while (i < body.size() && body[i] == ' ') ++i;
            std::size_t b = i;
            while (i < body.size() && (std::islower(static_cast<unsigned char>(body[i])) || body[i] == '_')) ++i;
            Format f{body.substr(b, i - b), std::nullopt};
            if (f.name.empty()) {
                broken = true;
                break;
            }
            if (i < body.size() && body[i] == ':') {
                ++i;
                if (i == body.size() || body[i] != '"') {
                    broken = true;
                    break;
                }
                std::string arg;
                ++i;
                while (i < body.size() && body[i] != '"') {
                    if (body[i] == '\\' && i + 1 < body.size()) ++i;
                    arg += body[i++];
                }
                if (i == body.size()) {
                    broken = true;
                    break;
                }
                ++i;
                f.argument = arg;
            }
            formats.push_back(std::move(f));
        }
        if (broken) {
            fail("broken_placeholder", at, name,
                 "the placeholder of '" + name + "' at " + where(at) + " is not {{ name | format:\"argument\" }}");
            return;
        }
        for (const Format& f : formats) {
            if (!isKnownFormat(f.name)) {
                fail("unknown_format", at, name,
                     "'" + f.name + "' at " + where(at) +
                         " is no format; known are amount, number, date, upper, lower, default");
            } else if (std::string problem = formatArgumentProblem(f); !problem.empty()) {
                fail("bad_format_argument", at, name, problem + " (" + where(at) + ")");
            }
        }
        Template::Node v;
        v.kind = Template::Node::Kind::Variable;
        v.use = addUse(name, at, std::move(formats), false);
        into.push_back(std::move(v));
    }

    void fail(const char* kind, TemplatePosition at, const std::string& variable, const std::string& message)
    {
        errors_.push_back({kind, at, variable, message});
    }

    const std::string& s_;
    std::vector<VariableUse>& uses_;
    std::vector<TemplateError>& errors_;
    std::size_t pos_ = 0;
    TemplatePosition position_;
};

} // namespace

std::string formatArgumentProblem(const Format& f)
{
    const auto& arg = f.argument;
    if (f.name == "default") return arg ? "" : "default needs a text: default:\"…\"";
    if (f.name == "upper" || f.name == "lower")
        return arg ? f.name + " takes no argument" : "";
    if (!arg) return "";
    if (f.name == "amount") {
        bool code = arg->size() == 3 && std::all_of(arg->begin(), arg->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        return code ? "" : "amount takes a currency code such as \"CHF\", not \"" + *arg + "\"";
    }
    if (f.name == "number") {
        bool digits = !arg->empty() && arg->size() <= 2 &&
                      std::all_of(arg->begin(), arg->end(), [](char c) { return c >= '0' && c <= '9'; });
        return digits ? "" : "number takes the count of decimals, such as \"2\", not \"" + *arg + "\"";
    }
    if (f.name == "date") {
        static const char* styles[] = {"short", "medium", "long", "full"};
        bool known = std::any_of(std::begin(styles), std::end(styles), [&](const char* s) { return *arg == s; });
        return known ? "" : "date takes \"short\", \"medium\", \"long\" or \"full\", not \"" + *arg + "\"";
    }
    return "";
}

bool isKnownFormat(const std::string& name)
{
    static const char* known[] = {"amount", "number", "date", "upper", "lower", "default"};
    return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return name == k; });
}

Template::Template() : root_(std::make_unique<Node>()) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

Template Template::parse(const std::string& source, std::vector<TemplateError>& errors)
{
    Template t;
    *t.root_ = Parser(source, t.uses_, errors).run();
    return t;
}

Template Template::parse(const std::string& source)
{
    std::vector<TemplateError> errors;
    Template t = parse(source, errors);
    if (!errors.empty()) throw std::invalid_argument(errors.front().message);
    return t;
}

std::string Template::render(const std::function<std::optional<std::string>(const std::string&)>& lookup,
                             const FormatValue& format, Escaping escaping, bool allowEmpty,
                             const std::function<bool(const std::string&)>& mayBeEmpty, std::size_t maxBytes) const
{
    std::string out;
    auto append = [&](const std::string& piece, const std::string& variable) {
        if (piece.size() > maxBytes - out.size())
            throw TemplateValueError(variable, "the filled text would be longer than " + std::to_string(maxBytes >> 20) +
                                                   " MiB");
        out += piece;
    };
    auto valueOf = [&](const VariableUse& use) -> std::optional<std::string> {
        auto v = lookup(use.name);
        if (v && v->empty()) v.reset();
        return v;
    };
    std::function<void(const std::vector<Node>&)> walk = [&](const std::vector<Node>& nodes) {
        for (const Node& n : nodes) {
            switch (n.kind) {
            case Node::Kind::Sequence: walk(n.then); break;
            case Node::Kind::Text: append(n.text, ""); break;
            case Node::Kind::If: walk(valueOf(uses_[n.use]) ? n.then : n.otherwise); break;
            case Node::Kind::Variable: {
                const VariableUse& use = uses_[n.use];
                std::optional<std::string> value = valueOf(use);
                std::string shown;
                if (!value) {
                    auto d = std::find_if(use.formats.begin(), use.formats.end(),
                                          [](const Format& f) { return f.name == "default"; });
                    // (A default without its text is a template error; rendered anyway, it is no default.)
                    if (d != use.formats.end() && d->argument) {
                        append(*d->argument, use.name); // the block's own text, not a document's value
                        break;
                    }
                    if (!allowEmpty && !(mayBeEmpty && mayBeEmpty(use.name)))
                        throw TemplateValueError(use.name, "the document has no value for '" + use.name + "'");
                } else {
                    shown = *value;
                    for (const Format& f : use.formats)
                        if (f.name != "default") shown = format(shown, f, use);
                }
                if (escaping == Escaping::Subject &&
                    std::any_of(shown.begin(), shown.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
                    throw TemplateValueError(use.name, "the value of '" + use.name +
                                                           "' has a line break or another control character and "
                                                           "cannot go into a subject");
                append(escaping == Escaping::Html ? htmlLines(shown) : shown, use.name);
                break;
            }
            }
        }
    };
    walk(root_->then);
    return out;
}

void checkVariables(const Template& parsed, const std::function<bool(const std::string&)>& known,
                    std::vector<TemplateError>& errors)
{
    for (const VariableUse& use : parsed.variables()) {
        if (use.name.empty() || known(use.name)) continue;
        errors.push_back({"unknown_variable", use.at, use.name,
                          "'" + use.name + "' at " + where(use.at) +
                              " is not a variable of the block's document types"});
    }
}

} // namespace erpmail::textblock
