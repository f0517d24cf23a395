// Certificate times <-> std::chrono.
#pragma once

#include <openssl/asn1.h>

#include <chrono>
#include <string>

namespace ztls::identity::detail {

using TimePoint = std::chrono::system_clock::time_point;

// Throws std::runtime_error for a malformed time.
TimePoint fromAsn1Time(const ASN1_TIME* time);
// Sets `time` to `when`, truncated to whole seconds (UTCTime before 2050, as RFC 5280
// requires, GeneralizedTime after).
void setAsn1Time(ASN1_TIME* time, TimePoint when);
// "2025-01-31T12:00:00Z", for messages.
std::string formatUtc(TimePoint when);

}  // namespace ztls::identity::detail
