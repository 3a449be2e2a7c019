// The messages and addresses an account holds: list, read, move between
// accounts, archive, import.
#pragma once

#include "account/AccountService.h"

namespace erpmail {

class MessageService {
public:
    explicit MessageService(AccountService& accounts) : accounts_(accounts) {}
    std::vector<Operation> operations();

private:
    Answer list(const Request& request);
    Poco::JSON::Object::Ptr get(const Request& request);
    Poco::JSON::Object::Ptr attachment(const Request& request);
    Poco::JSON::Object::Ptr setState(const Request& request, const std::string& state);
    Poco::JSON::Object::Ptr remove(const Request& request);
    Poco::JSON::Object::Ptr move(const Request& request);
    Poco::JSON::Object::Ptr import(const Request& request);
    Poco::JSON::Object::Ptr addressList(const Request& request);
    Poco::JSON::Object::Ptr addressUpsert(const Request& request);
    Poco::JSON::Object::Ptr addressDelete(const Request& request);
    /// The "security" of a message (MessageSecurityView.cpp): its recorded
    /// S/MIME result, an encrypted one opened with the account's key; null
    /// for a mail without S/MIME.
    Poco::JSON::Object::Ptr securityOf(const store::AccountRecord& account, const store::MessageRecord& message);

    AccountService& accounts_;
};

} // namespace erpmail
