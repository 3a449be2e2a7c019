#include "textblock/LocaleFormat.h"

#include <unicode/datefmt.h>
#include <unicode/dcfmtsym.h>
#include <unicode/locid.h>
#include <unicode/numberformatter.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace erpmail::textblock {

namespace {

std::string utf8(const icu::UnicodeString& s)
{
    std::string out;
    s.toUTF8String(out);
    return out;
}

// A decimal number as a document gives it: an optional sign, digits, an
// optional point and digits.
bool isDecimal(const std::string& v)
{
    std::size_t i = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
    bool digits = false, point = false;
    for (; i < v.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(v[i]))) {
            digits = true;
        } else if (v[i] == '.' && !point) {
            point = true;
        } else {
            return false;
        }
    }
    return digits;
}

// Milliseconds since 1970 of an ISO 8601 date's day (UTC).
std::optional<double> isoDateMs(const std::string& v)
{
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (v.size() < 10 || v[4] != '-' || v[7] != '-' || std::sscanf(v.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) < 3)
        return std::nullopt;
    if (v.size() > 10 && v[10] != 'T' && v[10] != ' ') return std::nullopt;
    if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
    // Days from civil (Howard Hinnant's algorithm).
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (static_cast<double>(era) * 146097 + doe - 719468) * 86400000.0;
}

// ICU puts a no-break space (U+00A0 or U+202F) between a currency code and
// the amount; mail text gets an ordinary one.
std::string plainSpaces(std::string s)
{
    for (const char* nbsp : {"\xC2\xA0", "\xE2\x80\xAF"}) {
        for (std::size_t at; (at = s.find(nbsp)) != std::string::npos;) s.replace(at, std::char_traits<char>::length(nbsp), " ");
    }
    return s;
}

} // namespace

struct LocaleFormat::Impl {
    icu::Locale locale;
    std::unique_ptr<icu::DecimalFormatSymbols> symbols;
    std::string currency;
};

LocaleFormat::LocaleFormat(const std::string& locale, const std::string& grouping, const std::string& currency)
    : impl_(std::make_unique<Impl>())
{
    UErrorCode status = U_ZERO_ERROR;
    std::string tag = locale;
    std::replace(tag.begin(), tag.end(), '_', '-'); // ICU's form (de_CH) as BCP 47
    impl_->locale = icu::Locale::forLanguageTag(tag, status);
    if (U_FAILURE(status) || impl_->locale.isBogus() || std::string(impl_->locale.getLanguage()).empty())
        throw std::invalid_argument("'" + locale + "' is not a locale, such as de-CH");
    impl_->symbols = std::make_unique<icu::DecimalFormatSymbols>(impl_->locale, status);
    if (U_FAILURE(status)) throw std::invalid_argument("ICU has no number symbols for locale '" + locale + "'");
    if (!grouping.empty()) {
        icu::UnicodeString g = icu::UnicodeString::fromUTF8(grouping);
        impl_->symbols->setSymbol(icu::DecimalFormatSymbols::kGroupingSeparatorSymbol, g);
        impl_->symbols->setSymbol(icu::DecimalFormatSymbols::kMonetaryGroupingSeparatorSymbol, g);
    }
    impl_->currency = currency;
}

LocaleFormat::~LocaleFormat() = default;

std::string LocaleFormat::apply(const std::string& value, const Format& format, const VariableUse& use) const
{
    // A template with errors may still be rendered: an argument its checks
    // refused (number:"" took std::stoi's exception out of render()) is
    // refused here as a value that cannot be formatted.
    if (std::string problem = formatArgumentProblem(format); !problem.empty())
        throw TemplateValueError(use.name, "'" + use.name + "' cannot be formatted: " + problem);
    UErrorCode status = U_ZERO_ERROR;
    const std::string& f = format.name;
    if (f == "upper" || f == "lower") {
        icu::UnicodeString u = icu::UnicodeString::fromUTF8(value);
        return utf8(f == "upper" ? u.toUpper(impl_->locale) : u.toLower(impl_->locale));
    }
    if (f == "amount" || f == "number") {
        if (!isDecimal(value))
            throw TemplateValueError(use.name, "'" + use.name + "' is '" + value + "', not a number, for format " + f);
        // Commercial rounding: a half goes away from zero (ICU's default is half-even).
        auto formatter = icu::number::NumberFormatter::withLocale(impl_->locale)
                             .symbols(*impl_->symbols)
                             .roundingMode(UNUM_ROUND_HALFUP);
        std::string code = f == "amount" ? format.argument.value_or(impl_->currency) : std::string();
        icu::number::FormattedNumber out;
        if (!code.empty()) {
            icu::CurrencyUnit unit(icu::UnicodeString::fromUTF8(code).getTerminatedBuffer(), status);
            out = formatter.unit(unit).precision(icu::number::Precision::currency(UCURR_USAGE_STANDARD))
                      .formatDecimal(value, status);
        } else {
            int decimals = f == "amount" ? 2 : (format.argument ? std::stoi(*format.argument) : -1);
            auto precise = decimals < 0 ? formatter : formatter.precision(icu::number::Precision::fixedFraction(decimals));
            out = precise.formatDecimal(value, status);
        }
        std::string text = utf8(out.toString(status));
        if (U_FAILURE(status))
            throw TemplateValueError(use.name, "'" + use.name + "' (" + value + ") cannot be formatted: " +
                                                   u_errorName(status));
        return plainSpaces(text);
    }
    if (f == "date") {
        const std::optional<double> ms = isoDateMs(value);
        if (!ms)
            throw TemplateValueError(use.name, "'" + use.name + "' is '" + value + "', not a date such as 2026-11-26");
        const std::string style = format.argument.value_or("medium");
        icu::DateFormat::EStyle s = style == "short" ? icu::DateFormat::kShort
                                    : style == "long" ? icu::DateFormat::kLong
                                    : style == "full" ? icu::DateFormat::kFull
                                                      : icu::DateFormat::kMedium;
        std::unique_ptr<icu::DateFormat> df(icu::DateFormat::createDateInstance(s, impl_->locale));
        if (!df) throw TemplateValueError(use.name, "ICU has no date format for this locale");
        df->setTimeZone(*icu::TimeZone::getGMT());
        icu::UnicodeString out;
        df->format(*ms, out);
        return utf8(out);
    }
    return value;
}

FormatValue LocaleFormat::callback() const
{
    return [this](const std::string& value, const Format& format, const VariableUse& use) {
        return apply(value, format, use);
    };
}

} // namespace erpmail::textblock
