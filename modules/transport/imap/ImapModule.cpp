#include "transport/imap/ImapModule.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> ImapModule::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Imap, "mail.imap.probe",
                                      "Tests an IMAP server: connect, TLS (verified), greeting, CAPABILITY; each step reported")};
}

} // namespace erpmail
