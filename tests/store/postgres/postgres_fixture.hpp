// tessera — tests/store/postgres/postgres_fixture.hpp: `store_fixture<postgres>` for the
// conformance suite, and what the engine's own tests share.
//
// Each fixture makes a fresh, uniquely named schema in the database that with_postgres.sh
// started (TESSERA_TEST_PG_CONNINFO), so cases never see each other's rows, and drops it in its
// destructor. The background sweep is off: the suite's times are in 2023, and the system clock
// would sweep everything; `housekeep(now)` calls `sweep(now)`.
#pragma once

#include <tessera/postgres/store.hpp>

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tessera::store::test {

/// The test server's connection string.
inline std::string pg_conninfo() {
  const char* v = std::getenv("TESSERA_TEST_PG_CONNINFO");
  if (!v || !*v)
    throw std::runtime_error("TESSERA_TEST_PG_CONNINFO is not set: run the tests through with_postgres.sh");
  return v;
}

/// A schema name no other fixture, in this process or another, uses.
inline std::string unique_schema(std::string_view what = "t") {
  static std::atomic<unsigned> n{0};
  return "tessera_" + std::string(what) + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

/// Settings for a store on `schema` of the test server, without the background sweep.
inline postgres_settings pg_settings(std::string schema) {
  postgres_settings s;
  s.conninfo = pg_conninfo();
  s.schema = std::move(schema);
  s.sweep_interval = std::chrono::seconds(0);
  return s;
}

/// A connection of its own to the test server, outside any store: set-up, inspection, locks.
class raw_pg {
 public:
  raw_pg() : c_(PQconnectdb(pg_conninfo().c_str())) {
    if (!c_ || PQstatus(c_) != CONNECTION_OK) throw std::runtime_error("cannot connect to the test server");
    PQsetNoticeProcessor(
        c_, [](void*, const char*) {}, nullptr);
  }
  raw_pg(const raw_pg&) = delete;
  raw_pg& operator=(const raw_pg&) = delete;
  ~raw_pg() { PQfinish(c_); }

  /// Runs `sql` (several statements allowed); throws on failure.
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const auto status = PQresultStatus(r);
    std::string message = PQresultErrorMessage(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error("SQL failed: " + message);
  }
  /// The first column of the first row, as text ("" when there is none).
  std::string value(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const auto status = PQresultStatus(r);
    std::string message = PQresultErrorMessage(r);
    std::string v = status == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    if (status != PGRES_TUPLES_OK) throw std::runtime_error("SQL failed: " + message);
    return v;
  }

 private:
  PGconn* c_;
};

inline void drop_schema(const std::string& schema) {
  try {
    raw_pg().exec("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  } catch (...) {  // a destructor's clean-up: the server is thrown away anyway
  }
}

template <>
class store_fixture<postgres> {
 public:
  store_fixture() : schema_(unique_schema()), store_(std::make_unique<postgres>(pg_settings(schema_))) {}
  ~store_fixture() {
    store_.reset();
    drop_schema(schema_);
  }
  store_fixture(const store_fixture&) = delete;
  store_fixture& operator=(const store_fixture&) = delete;

  postgres& store() noexcept { return *store_; }
  void housekeep(time_point now) {
    std::error_code ec;
    store_->sweep(now, ec);
    if (ec) throw std::system_error(ec, "postgres::sweep");
  }
  const std::string& schema() const noexcept { return schema_; }

 private:
  std::string schema_;
  std::unique_ptr<postgres> store_;
};

}  // namespace tessera::store::test
