// The checks a text block passes when it is saved, so that it is never
// found broken only when the reminder goes out.
#pragma once

#include "store/TextBlockRepository.h"
#include "textblock/Catalogue.h"

#include <string>
#include <vector>

namespace erpmail::textblock {

/// Parses the block's subject, text and HTML and checks their variables
/// against what its document types offer. Throws OperationError
/// (invalid_params) naming the field of the first problem, with every
/// problem's line, column and variable in the message. Returns warnings
/// (document variables left unchecked by a host without a catalogue).
std::vector<std::string> checkBlock(const store::TextBlockRecord& block, const Catalogue& catalogue);

} // namespace erpmail::textblock
