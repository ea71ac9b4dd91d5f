#include <sqlite3.h>

/// Process-wide SQLite settings for trialtrack (sqlite3_config is variadic, so Swift cannot
/// call it). They take effect only before SQLite is first initialised in the process; after
/// that sqlite3_config returns SQLITE_MISUSE and nothing changes.
///
/// No memory statistics: otherwise every allocation SQLite makes, and every free, takes a
/// global mutex to count it, and nothing in trialtrack reads the counts. (Connections are
/// opened without their own mutex already: GRDB and the checkpointer use SQLITE_OPEN_NOMUTEX.)
static inline int trialtrack_sqlite_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
