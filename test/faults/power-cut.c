/*
 * Loaded with LD_PRELOAD into a recorder under test: keeps an undo journal of every write to the
 * files POWER_CUT_FILES names (a list separated by ':', matched by their path), so that after the
 * process is killed the files can be put back as a power cut would have left them: every write
 * not yet made durable by an fsync or fdatasync of its file is undone (power-cut-rollback.ts).
 *
 * Before each write, truncation or allocation of such a file it appends to POWER_CUT_JOURNAL the
 * bytes and the size the change replaces; an fsync or fdatasync that succeeds appends a mark that
 * every change of the file journaled before the sync began is durable. A change made while a sync
 * runs stays undoable: it may have missed the sync. The journal is written with plain write(): a
 * SIGKILL loses nothing the kernel has been given. Files are told apart by path (any descriptor
 * of a file syncs all of it, as the kernel does); the journal keeps the data of files, not their
 * directory entries.
 *
 * With POWER_CUT_AT=N the shim cuts the power itself: it SIGKILLs the process as the N-th change
 * is about to be made (journaled, not yet written), a moment anywhere in the stream of writes:
 * inside a commit, a checkpoint, or the WAL's restart. With POWER_CUT_ARM=PATH as well, only the
 * changes made once that file exists count toward N: a test creates it once the recorder listens,
 * so that the cut falls while callbacks are answered, not among the writes of the start (the
 * checkpoint of the last run's WAL alone can be hundreds).
 *
 * Record layout, native endianness: type ('W' a write, 'T' a size change, 'S' a sync), u32 path
 * length, the path; then for 'W' and 'T': i64 offset, i64 size before, u64 length, that many old
 * bytes (those the change overwrote or cut off); for 'S': u64 count of 'W'/'T' records journaled
 * before the sync began.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int journal = -1;
static uint64_t changes = 0;
static uint64_t cut_at = 0;
/* Changes counted toward cut_at: those made once armed (POWER_CUT_ARM). */
static uint64_t counted = 0;
static int armed = 0;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_fallocate64)(int, int, off_t, off_t);
static int (*real_posix_fallocate)(int, off_t, off_t);
static int (*real_posix_fallocate64)(int, off_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

__attribute__((constructor)) static void resolve(void) {
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
  real_writev = dlsym(RTLD_NEXT, "writev");
  real_pwritev = dlsym(RTLD_NEXT, "pwritev");
  real_pwritev64 = dlsym(RTLD_NEXT, "pwritev64");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
  real_fallocate = dlsym(RTLD_NEXT, "fallocate");
  real_fallocate64 = dlsym(RTLD_NEXT, "fallocate64");
  real_posix_fallocate = dlsym(RTLD_NEXT, "posix_fallocate");
  real_posix_fallocate64 = dlsym(RTLD_NEXT, "posix_fallocate64");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  const char *at = getenv("POWER_CUT_AT");
  if (at != NULL) cut_at = strtoull(at, NULL, 10);
}

/* The watched path `fd` is open on, into `path`; 0 when it is not one of POWER_CUT_FILES. */
static size_t watched(int fd, char *path) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, PATH_MAX - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  const char *list = getenv("POWER_CUT_FILES");
  if (list == NULL) return 0;
  for (const char *at = list; *at;) {
    const char *end = strchr(at, ':');
    size_t len = end ? (size_t)(end - at) : strlen(at);
    if (len == (size_t)n && memcmp(at, path, len) == 0) return (size_t)n;
    if (!end) break;
    at = end + 1;
  }
  return 0;
}

/* Writes all of `data` to the journal, or ends the process: a lost record would make a lie. */
static void append(const void *data, size_t len) {
  if (journal < 0) {
    const char *name = getenv("POWER_CUT_JOURNAL");
    journal = name ? open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    if (journal < 0) {
      static const char message[] = "power-cut.c: cannot open POWER_CUT_JOURNAL\n";
      real_write(2, message, sizeof message - 1);
      abort();
    }
  }
  const char *p = data;
  while (len > 0) {
    ssize_t n = real_write(journal, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      static const char message[] = "power-cut.c: cannot write POWER_CUT_JOURNAL\n";
      real_write(2, message, sizeof message - 1);
      abort();
    }
    p += n;
    len -= (size_t)n;
  }
}

static void append_head(char type, const char *path, size_t path_len) {
  uint32_t len = (uint32_t)path_len;
  append(&type, 1);
  append(&len, sizeof len);
  append(path, path_len);
}

/*
 * Journals what a change of [offset, offset + len) of `fd`, leaving the file `new_size` bytes long
 * (or longer), replaces: the old bytes of the range that existed, and the old size.
 */
/* True once the file POWER_CUT_ARM names exists, or when it names none. */
static int is_armed(void) {
  if (!armed) {
    const char *arm = getenv("POWER_CUT_ARM");
    armed = arm == NULL || access(arm, F_OK) == 0;
  }
  return armed;
}

static void journal_change(char type, int fd, const char *path, size_t path_len, off_t offset, off_t len) {
  struct stat st;
  if (fstat(fd, &st) != 0) abort();
  int64_t old_size = st.st_size;
  int64_t start = offset;
  uint64_t old_len = 0;
  if (start < old_size) old_len = (uint64_t)((old_size - start) < len ? (old_size - start) : len);
  append_head(type, path, path_len);
  append(&start, sizeof start);
  append(&old_size, sizeof old_size);
  append(&old_len, sizeof old_len);
  char buffer[65536];
  for (uint64_t done = 0; done < old_len;) {
    size_t chunk = old_len - done < sizeof buffer ? (size_t)(old_len - done) : sizeof buffer;
    ssize_t n = pread(fd, buffer, chunk, start + (off_t)done);
    if (n <= 0) abort();
    append(buffer, (size_t)n);
    done += (uint64_t)n;
  }
  changes++;
  if (cut_at != 0 && is_armed() && ++counted == cut_at) kill(getpid(), SIGKILL);
}

static size_t total(const struct iovec *iov, int count) {
  size_t sum = 0;
  for (int i = 0; i < count; i++) sum += iov[i].iov_len;
  return sum;
}

#define POSITIONED(name, real, args, buffer_len, offset)                          \
  {                                                                              \
    char path[PATH_MAX];                                                         \
    size_t path_len = watched(fd, path);                                         \
    if (path_len == 0) return real args;                                         \
    pthread_mutex_lock(&lock);                                                   \
    journal_change('W', fd, path, path_len, (offset), (off_t)(buffer_len));      \
    ssize_t result = real args;                                                  \
    pthread_mutex_unlock(&lock);                                                 \
    return result;                                                               \
  }

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
    POSITIONED(pwrite, real_pwrite, (fd, buf, count, offset), count, offset)

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset)
    POSITIONED(pwrite64, real_pwrite64, (fd, buf, count, offset), count, offset)

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
    POSITIONED(pwritev, real_pwritev, (fd, iov, iovcnt, offset), total(iov, iovcnt), offset)

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t offset)
    POSITIONED(pwritev64, real_pwritev64, (fd, iov, iovcnt, offset), total(iov, iovcnt), offset)

/* Where a write() at the file position lands: the end for O_APPEND, else the position. */
static off_t position(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return (flags >= 0 && (flags & O_APPEND)) ? lseek(fd, 0, SEEK_END) : lseek(fd, 0, SEEK_CUR);
}

ssize_t write(int fd, const void *buf, size_t count)
    POSITIONED(write, real_write, (fd, buf, count), count, position(fd))

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
    POSITIONED(writev, real_writev, (fd, iov, iovcnt), total(iov, iovcnt), position(fd))

/* A size change: undone by restoring the size and the bytes it cut off. */
static int resize(int fd, off_t new_size, int (*apply)(void *), void *context) {
  char path[PATH_MAX];
  size_t path_len = watched(fd, path);
  if (path_len == 0) return apply(context);
  pthread_mutex_lock(&lock);
  struct stat st;
  if (fstat(fd, &st) != 0) abort();
  off_t cut = st.st_size > new_size ? st.st_size - new_size : 0;
  journal_change('T', fd, path, path_len, new_size < st.st_size ? new_size : st.st_size, cut);
  int result = apply(context);
  pthread_mutex_unlock(&lock);
  return result;
}

struct truncation {
  int (*real)(int, off_t);
  int fd;
  off_t length;
};
static int truncate_now(void *context) {
  struct truncation *t = context;
  return t->real(t->fd, t->length);
}
int ftruncate(int fd, off_t length) {
  struct truncation t = {real_ftruncate, fd, length};
  return resize(fd, length, truncate_now, &t);
}
int ftruncate64(int fd, off_t length) {
  struct truncation t = {real_ftruncate64, fd, length};
  return resize(fd, length, truncate_now, &t);
}

struct allocation {
  int (*real)(int, int, off_t, off_t);
  int (*posix)(int, off_t, off_t);
  int fd, mode;
  off_t offset, len;
};
static int allocate_now(void *context) {
  struct allocation *a = context;
  return a->posix ? a->posix(a->fd, a->offset, a->len) : a->real(a->fd, a->mode, a->offset, a->len);
}
/* An allocation only grows the file (its new bytes read as zeros): undone by the old size. */
static off_t grown_size(int fd, off_t end) {
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_size > end ? st.st_size : end;
}
int fallocate(int fd, int mode, off_t offset, off_t len) {
  struct allocation a = {real_fallocate, NULL, fd, mode, offset, len};
  return resize(fd, grown_size(fd, offset + len), allocate_now, &a);
}
int fallocate64(int fd, int mode, off_t offset, off_t len) {
  struct allocation a = {real_fallocate64, NULL, fd, mode, offset, len};
  return resize(fd, grown_size(fd, offset + len), allocate_now, &a);
}
int posix_fallocate(int fd, off_t offset, off_t len) {
  struct allocation a = {NULL, real_posix_fallocate, fd, 0, offset, len};
  return resize(fd, grown_size(fd, offset + len), allocate_now, &a);
}
int posix_fallocate64(int fd, off_t offset, off_t len) {
  struct allocation a = {NULL, real_posix_fallocate64, fd, 0, offset, len};
  return resize(fd, grown_size(fd, offset + len), allocate_now, &a);
}

/* A sync: what was journaled before it began is durable once it succeeds. */
static int sync_file(int fd, int (*real)(int)) {
  char path[PATH_MAX];
  size_t path_len = watched(fd, path);
  if (path_len == 0) return real(fd);
  pthread_mutex_lock(&lock);
  uint64_t before = changes;
  pthread_mutex_unlock(&lock);
  int result = real(fd);
  if (result == 0) {
    pthread_mutex_lock(&lock);
    append_head('S', path, path_len);
    append(&before, sizeof before);
    pthread_mutex_unlock(&lock);
  }
  return result;
}

int fsync(int fd) { return sync_file(fd, real_fsync); }
int fdatasync(int fd) { return sync_file(fd, real_fdatasync); }
