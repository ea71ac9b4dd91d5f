// powercut.so: an LD_PRELOAD shim that lets a test simulate a power cut.
//
// A kill -9 loses nothing the kernel already holds: written but unsynced pages still reach
// the disk. A power cut loses them. This shim records, before every write or truncation of a
// watched file, the bytes and the size it is about to replace (an undo log), and after every
// fsync/fdatasync of a watched file a sync mark. After the process is killed, undoing each
// file's writes since its last sync mark, newest first, leaves exactly what a power cut would
// have left if the disk kept nothing unsynced (the harshest case a disk is allowed).
//
// Environment: POWERCUT_LOG, the undo log's path; POWERCUT_DIR, the directory whose files
// ending in ".db" or "-wal" are watched. Without them the shim does nothing.
//
// Record format (little-endian): 'W' u16 pathlen, path, u64 offset, u64 oldsize, u32 len,
// len old bytes (the bytes at offset that were in the file before, up to oldsize); 'S' u16
// pathlen, path, u64 mark: the log's length when that fsync began, so a write that raced the
// sync (logged after the mark) still counts as unsynced. The log is written with write(2)
// under one lock, so records never interleave; it needs no fsync, since the process is
// killed, never the machine.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static const char *watched_dir;
static size_t watched_dir_len;
static char *paths[MAX_FD];  // the watched file each fd is open on, or NULL
static uint64_t logged;      // bytes appended to the log so far

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

#define RESOLVE(name) real_##name = dlsym(RTLD_NEXT, #name)
__attribute__((constructor)) static void init(void) {
    RESOLVE(open);
    RESOLVE(open64);
    RESOLVE(openat);
    RESOLVE(openat64);
    RESOLVE(close);
    RESOLVE(write);
    RESOLVE(pwrite);
    RESOLVE(pwrite64);
    RESOLVE(pread64);
    RESOLVE(ftruncate);
    RESOLVE(ftruncate64);
    RESOLVE(fsync);
    RESOLVE(fdatasync);
    const char *log = getenv("POWERCUT_LOG");
    watched_dir = getenv("POWERCUT_DIR");
    if (!log || !watched_dir) return;
    watched_dir_len = strlen(watched_dir);
    log_fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void track(int fd, const char *path) {
    if (log_fd < 0 || fd < 0 || fd >= MAX_FD || !path) return;
    char full[PATH_MAX];
    if (!realpath(path, full)) return;
    if (strncmp(full, watched_dir, watched_dir_len) != 0) return;
    if (!ends_with(full, ".db") && !ends_with(full, "-wal")) return;
    pthread_mutex_lock(&lock);
    free(paths[fd]);
    paths[fd] = strdup(full);
    pthread_mutex_unlock(&lock);
}

static void append(const void *p, size_t n) {
    const char *b = p;
    while (n > 0) {
        ssize_t w = real_write(log_fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            abort();  // an undo log with a hole would make the simulation lie
        }
        b += w;
        n -= (size_t)w;
        logged += (uint64_t)w;
    }
}

// A record is made whole in memory and appended with one write(2): a kill lands before or
// after it, never inside (the reader still stops quietly at a torn tail, which can only be a
// record whose write had not begun).
struct record {
    char *bytes;
    size_t length;
};

static void put(struct record *r, const void *p, size_t n) {
    memcpy(r->bytes + r->length, p, n);
    r->length += n;
}

static struct record begin(char type, const char *path, size_t extra) {
    uint16_t len = (uint16_t)strlen(path);
    struct record r = {malloc(3 + len + extra), 0};
    if (!r.bytes) abort();
    put(&r, &type, 1);
    put(&r, &len, 2);
    put(&r, path, len);
    return r;
}

static void finish(struct record *r) {
    append(r->bytes, r->length);
    free(r->bytes);
}

// Called with the lock held: records what [offset, offset + len) and the size were.
static void save(int fd, const char *path, uint64_t offset, uint64_t len) {
    struct stat st;
    if (fstat(fd, &st) != 0) abort();
    uint64_t size = (uint64_t)st.st_size;
    uint32_t keep = offset >= size ? 0 : (uint32_t)((size - offset) < len ? (size - offset) : len);
    struct record r = begin('W', path, 20 + keep);
    put(&r, &offset, 8);
    put(&r, &size, 8);
    put(&r, &keep, 4);
    if (keep && real_pread64(fd, r.bytes + r.length, keep, (off64_t)offset) != (ssize_t)keep) abort();
    r.length += keep;
    finish(&r);
}

#define OPEN_MODE(flags, mode)                  \
    mode_t mode = 0;                            \
    if ((flags) & (O_CREAT | O_TMPFILE)) {      \
        va_list ap;                             \
        va_start(ap, flags);                    \
        mode = va_arg(ap, mode_t);              \
        va_end(ap);                             \
    }

int open(const char *path, int flags, ...) {
    OPEN_MODE(flags, mode);
    int fd = real_open(path, flags, mode);
    track(fd, path);
    return fd;
}

int open64(const char *path, int flags, ...) {
    OPEN_MODE(flags, mode);
    int fd = real_open64(path, flags, mode);
    track(fd, path);
    return fd;
}

int openat(int dir, const char *path, int flags, ...) {
    OPEN_MODE(flags, mode);
    int fd = real_openat(dir, path, flags, mode);
    if (path[0] == '/' || dir == AT_FDCWD) track(fd, path);
    return fd;
}

int openat64(int dir, const char *path, int flags, ...) {
    OPEN_MODE(flags, mode);
    int fd = real_openat64(dir, path, flags, mode);
    if (path[0] == '/' || dir == AT_FDCWD) track(fd, path);
    return fd;
}

int close(int fd) {
    if (fd >= 0 && fd < MAX_FD && paths[fd]) {
        pthread_mutex_lock(&lock);
        free(paths[fd]);
        paths[fd] = NULL;
        pthread_mutex_unlock(&lock);
    }
    return real_close(fd);
}

static ssize_t positioned(int fd, const void *buf, size_t n, off64_t offset) {
    pthread_mutex_lock(&lock);
    if (paths[fd]) save(fd, paths[fd], (uint64_t)offset, n);
    ssize_t r = real_pwrite64(fd, buf, n, offset);
    pthread_mutex_unlock(&lock);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real_pwrite(fd, buf, n, offset);
    return positioned(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real_pwrite64(fd, buf, n, offset);
    return positioned(fd, buf, n, offset);
}

ssize_t write(int fd, const void *buf, size_t n) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real_write(fd, buf, n);
    pthread_mutex_lock(&lock);
    off64_t at = lseek64(fd, 0, SEEK_CUR);
    if (paths[fd] && at >= 0) save(fd, paths[fd], (uint64_t)at, n);
    ssize_t r = real_write(fd, buf, n);
    pthread_mutex_unlock(&lock);
    return r;
}

static int truncated(int fd, uint64_t length, int (*real)(int, off64_t)) {
    pthread_mutex_lock(&lock);
    if (paths[fd]) {
        struct stat st;
        if (fstat(fd, &st) != 0) abort();
        uint64_t size = (uint64_t)st.st_size;
        // Shrinking loses the bytes past `length`; growing changes only the size.
        save(fd, paths[fd], length, size > length ? size - length : 0);
    }
    int r = real(fd, (off64_t)length);
    pthread_mutex_unlock(&lock);
    return r;
}

static int truncate32(int fd, off64_t length) { return real_ftruncate(fd, (off_t)length); }

int ftruncate(int fd, off_t length) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real_ftruncate(fd, length);
    return truncated(fd, (uint64_t)length, truncate32);
}

int ftruncate64(int fd, off64_t length) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real_ftruncate64(fd, length);
    return truncated(fd, (uint64_t)length, real_ftruncate64);
}

static int synced(int fd, int (*real)(int)) {
    if (fd < 0 || fd >= MAX_FD || !paths[fd]) return real(fd);
    pthread_mutex_lock(&lock);
    uint64_t mark = logged;  // what was written before the sync began
    pthread_mutex_unlock(&lock);
    int r = real(fd);
    if (r == 0) {
        pthread_mutex_lock(&lock);
        if (paths[fd]) {
            struct record rec = begin('S', paths[fd], 8);
            put(&rec, &mark, 8);
            finish(&rec);
        }
        pthread_mutex_unlock(&lock);
    }
    return r;
}

int fsync(int fd) { return synced(fd, real_fsync); }
int fdatasync(int fd) { return synced(fd, real_fdatasync); }
