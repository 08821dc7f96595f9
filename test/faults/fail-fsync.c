/*
 * Loaded with LD_PRELOAD into a recorder under test: once the file named by FAIL_FSYNC_TRIGGER
 * exists, fsync and fdatasync fail with EIO, as they do when a disk cannot write back its pages.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int triggered(void) {
  const char *path = getenv("FAIL_FSYNC_TRIGGER");
  return path != NULL && access(path, F_OK) == 0;
}

int fsync(int fd) {
  static int (*real)(int);
  if (triggered()) {
    errno = EIO;
    return -1;
  }
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (triggered()) {
    errno = EIO;
    return -1;
  }
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return real(fd);
}
