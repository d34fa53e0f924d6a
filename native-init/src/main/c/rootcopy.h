/* An image root as a copy of its layers, where neither overlayfs nor fuse-overlayfs can stack them. */
#ifndef SANDBOX_ROOTCOPY_H
#define SANDBOX_ROOTCOPY_H

#include "util.h"

/*
 * Merges the layer directories `layers` (topmost first, as overlayfs lists them) into the empty directory `dst`,
 * bottom layer first: a whiteout (character device 0:0) removes what lower layers put there, a directory marked
 * `user.overlay.opaque` drops their contents, anything else replaces what was there. Owners, modes and times are
 * kept (ids the namespace does not map stay the creator's). With `link`, regular files are hard links to the
 * layers' instead of copies: only for a root nothing in the sandbox can write, or the layers would change.
 * Hard links inside a layer become separate files; device nodes are skipped where mknod is refused.
 */
int copy_layers(const int *layers, int count, int dst, int link, struct failure *f);

#endif
