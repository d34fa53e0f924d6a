/* sandbox-init --probe-root: an image root assembled as a sandbox's would be, for `sandboxed doctor`. */
#ifndef SANDBOX_ROOTPROBE_H
#define SANDBOX_ROOTPROBE_H

/*
 * sandbox-init --probe-root LAYER HELPER DISK: stacks the directory LAYER as a one-layer image root the way an auto
 * choice does (overlayfs, falling back to fuse-overlayfs with HELPER when it is not empty, else to a copy) on a tmpfs
 * writable layer, or on the directory DISK when it is not empty, in a throwaway user, mount and pid namespace. Prints
 * one line: "MODE" (assembled without a refusal), "MODE<TAB>REFUSALS" (after them) or "failed<TAB>MODE<TAB>ERROR".
 * A fifth argument, overlay, fuse-overlayfs or copy, forces that mode instead, without falling back (HELPER is then
 * named only for fuse-overlayfs).
 * Exits 0 when it printed, 125 when the namespaces could not be made (the reason on stderr), 2 on bad arguments.
 */
int root_probe_main(int argc, char **argv);

#endif
