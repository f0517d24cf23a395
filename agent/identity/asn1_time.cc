#include "asn1_time.h"

#include <ctime>

#include "openssl_error.h"

namespace ztls::identity::detail {

TimePoint fromAsn1Time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1)
    throwOpenSsl("malformed certificate time");
  // std::chrono's civil calendar instead of timegm: the tm is UTC, not local time.
  using namespace std::chrono;
  year_month_day date{year(tm.tm_year + 1900), month(static_cast<unsigned>(tm.tm_mon + 1)),
                      day(static_cast<unsigned>(tm.tm_mday))};
  return sys_days(date) + hours(tm.tm_hour) + minutes(tm.tm_min) + seconds(tm.tm_sec);
}

void setAsn1Time(ASN1_TIME* time, TimePoint when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  if (ASN1_TIME_set(time, seconds) == nullptr) throwOpenSsl("cannot set certificate time");
}

std::string formatUtc(TimePoint when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buffer, length);
}

}  // namespace ztls::identity::detail
