// Numbers, amounts and dates as the host's users write them, through ICU,
// and upper/lower case for any script.
#pragma once

#include "textblock/Template.h"

#include <memory>
#include <string>

namespace erpmail::textblock {

class LocaleFormat {
public:
    /// `locale` as BCP 47 ("de-CH") or ICU ("de_CH"). `grouping`, when not
    /// empty, replaces the locale's digit-grouping character: Swiss users
    /// write 1'234.50, where ICU's de-CH writes 1’234.50. `currency` is the
    /// code `amount` shows when the template names none; empty: no code.
    /// Throws std::invalid_argument for a locale ICU does not know.
    LocaleFormat(const std::string& locale, const std::string& grouping, const std::string& currency);
    ~LocaleFormat();

    /// Applies one format (amount, number, date, upper, lower) to a value:
    /// amounts and numbers are decimal texts ("1234.5"), dates ISO 8601
    /// ("2026-11-26", a time after it is ignored). Throws TemplateValueError
    /// naming the variable when the value is no such thing.
    std::string apply(const std::string& value, const Format& format, const VariableUse& use) const;

    /// apply() as a Template::render callback.
    FormatValue callback() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace erpmail::textblock
