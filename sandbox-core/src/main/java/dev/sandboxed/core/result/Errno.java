package dev.sandboxed.core.result;


/** Linux errno numbers, their symbolic names and messages, so failures read like strerror(3). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int ECONNRESET = 104;
    public static final int EPIPE = 32;
    public static final int ENOTCONN = 107;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;

    private Errno() {
    }

    /** {@code ENOENT}, or {@code errno N} for a number this table does not know. */
    public static String name(int errno) {
        String[] entry = lookup(errno);
        return entry == null ? "errno " + errno : entry[0];
    }

    /** {@code No such file or directory (ENOENT)}. */
    public static String describe(int errno) {
        String[] entry = lookup(errno);
        return entry == null ? "errno " + errno : entry[1] + " (" + entry[0] + ")";
    }

    private static String[] lookup(int errno) {
        switch (errno) {
        case 1: return new String[] {"EPERM", "Operation not permitted"};
        case 2: return new String[] {"ENOENT", "No such file or directory"};
        case 3: return new String[] {"ESRCH", "No such process"};
        case 4: return new String[] {"EINTR", "Interrupted system call"};
        case 5: return new String[] {"EIO", "Input/output error"};
        case 6: return new String[] {"ENXIO", "No such device or address"};
        case 7: return new String[] {"E2BIG", "Argument list too long"};
        case 8: return new String[] {"ENOEXEC", "Exec format error"};
        case 9: return new String[] {"EBADF", "Bad file descriptor"};
        case 10: return new String[] {"ECHILD", "No child processes"};
        case 11: return new String[] {"EAGAIN", "Resource temporarily unavailable"};
        case 12: return new String[] {"ENOMEM", "Cannot allocate memory"};
        case 13: return new String[] {"EACCES", "Permission denied"};
        case 14: return new String[] {"EFAULT", "Bad address"};
        case 15: return new String[] {"ENOTBLK", "Block device required"};
        case 16: return new String[] {"EBUSY", "Device or resource busy"};
        case 17: return new String[] {"EEXIST", "File exists"};
        case 18: return new String[] {"EXDEV", "Invalid cross-device link"};
        case 19: return new String[] {"ENODEV", "No such device"};
        case 20: return new String[] {"ENOTDIR", "Not a directory"};
        case 21: return new String[] {"EISDIR", "Is a directory"};
        case 22: return new String[] {"EINVAL", "Invalid argument"};
        case 23: return new String[] {"ENFILE", "Too many open files in system"};
        case 24: return new String[] {"EMFILE", "Too many open files"};
        case 25: return new String[] {"ENOTTY", "Inappropriate ioctl for device"};
        case 26: return new String[] {"ETXTBSY", "Text file busy"};
        case 27: return new String[] {"EFBIG", "File too large"};
        case 28: return new String[] {"ENOSPC", "No space left on device"};
        case 29: return new String[] {"ESPIPE", "Illegal seek"};
        case 30: return new String[] {"EROFS", "Read-only file system"};
        case 31: return new String[] {"EMLINK", "Too many links"};
        case 32: return new String[] {"EPIPE", "Broken pipe"};
        case 33: return new String[] {"EDOM", "Numerical argument out of domain"};
        case 34: return new String[] {"ERANGE", "Numerical result out of range"};
        case 35: return new String[] {"EDEADLOCK", "Resource deadlock avoided"};
        case 36: return new String[] {"ENAMETOOLONG", "File name too long"};
        case 37: return new String[] {"ENOLCK", "No locks available"};
        case 38: return new String[] {"ENOSYS", "Function not implemented"};
        case 39: return new String[] {"ENOTEMPTY", "Directory not empty"};
        case 40: return new String[] {"ELOOP", "Too many levels of symbolic links"};
        case 42: return new String[] {"ENOMSG", "No message of desired type"};
        case 43: return new String[] {"EIDRM", "Identifier removed"};
        case 44: return new String[] {"ECHRNG", "Channel number out of range"};
        case 45: return new String[] {"EL2NSYNC", "Level 2 not synchronized"};
        case 46: return new String[] {"EL3HLT", "Level 3 halted"};
        case 47: return new String[] {"EL3RST", "Level 3 reset"};
        case 48: return new String[] {"ELNRNG", "Link number out of range"};
        case 49: return new String[] {"EUNATCH", "Protocol driver not attached"};
        case 50: return new String[] {"ENOCSI", "No CSI structure available"};
        case 51: return new String[] {"EL2HLT", "Level 2 halted"};
        case 52: return new String[] {"EBADE", "Invalid exchange"};
        case 53: return new String[] {"EBADR", "Invalid request descriptor"};
        case 54: return new String[] {"EXFULL", "Exchange full"};
        case 55: return new String[] {"ENOANO", "No anode"};
        case 56: return new String[] {"EBADRQC", "Invalid request code"};
        case 57: return new String[] {"EBADSLT", "Invalid slot"};
        case 59: return new String[] {"EBFONT", "Bad font file format"};
        case 60: return new String[] {"ENOSTR", "Device not a stream"};
        case 61: return new String[] {"ENODATA", "No data available"};
        case 62: return new String[] {"ETIME", "Timer expired"};
        case 63: return new String[] {"ENOSR", "Out of streams resources"};
        case 64: return new String[] {"ENONET", "Machine is not on the network"};
        case 65: return new String[] {"ENOPKG", "Package not installed"};
        case 66: return new String[] {"EREMOTE", "Object is remote"};
        case 67: return new String[] {"ENOLINK", "Link has been severed"};
        case 68: return new String[] {"EADV", "Advertise error"};
        case 69: return new String[] {"ESRMNT", "Srmount error"};
        case 70: return new String[] {"ECOMM", "Communication error on send"};
        case 71: return new String[] {"EPROTO", "Protocol error"};
        case 72: return new String[] {"EMULTIHOP", "Multihop attempted"};
        case 73: return new String[] {"EDOTDOT", "RFS specific error"};
        case 74: return new String[] {"EBADMSG", "Bad message"};
        case 75: return new String[] {"EOVERFLOW", "Value too large for defined data type"};
        case 76: return new String[] {"ENOTUNIQ", "Name not unique on network"};
        case 77: return new String[] {"EBADFD", "File descriptor in bad state"};
        case 78: return new String[] {"EREMCHG", "Remote address changed"};
        case 79: return new String[] {"ELIBACC", "Can not access a needed shared library"};
        case 80: return new String[] {"ELIBBAD", "Accessing a corrupted shared library"};
        case 81: return new String[] {"ELIBSCN", ".lib section in a.out corrupted"};
        case 82: return new String[] {"ELIBMAX", "Attempting to link in too many shared libraries"};
        case 83: return new String[] {"ELIBEXEC", "Cannot exec a shared library directly"};
        case 84: return new String[] {"EILSEQ", "Invalid or incomplete multibyte or wide character"};
        case 85: return new String[] {"ERESTART", "Interrupted system call should be restarted"};
        case 86: return new String[] {"ESTRPIPE", "Streams pipe error"};
        case 87: return new String[] {"EUSERS", "Too many users"};
        case 88: return new String[] {"ENOTSOCK", "Socket operation on non-socket"};
        case 89: return new String[] {"EDESTADDRREQ", "Destination address required"};
        case 90: return new String[] {"EMSGSIZE", "Message too long"};
        case 91: return new String[] {"EPROTOTYPE", "Protocol wrong type for socket"};
        case 92: return new String[] {"ENOPROTOOPT", "Protocol not available"};
        case 93: return new String[] {"EPROTONOSUPPORT", "Protocol not supported"};
        case 94: return new String[] {"ESOCKTNOSUPPORT", "Socket type not supported"};
        case 95: return new String[] {"ENOTSUP", "Operation not supported"};
        case 96: return new String[] {"EPFNOSUPPORT", "Protocol family not supported"};
        case 97: return new String[] {"EAFNOSUPPORT", "Address family not supported by protocol"};
        case 98: return new String[] {"EADDRINUSE", "Address already in use"};
        case 99: return new String[] {"EADDRNOTAVAIL", "Cannot assign requested address"};
        case 100: return new String[] {"ENETDOWN", "Network is down"};
        case 101: return new String[] {"ENETUNREACH", "Network is unreachable"};
        case 102: return new String[] {"ENETRESET", "Network dropped connection on reset"};
        case 103: return new String[] {"ECONNABORTED", "Software caused connection abort"};
        case 104: return new String[] {"ECONNRESET", "Connection reset by peer"};
        case 105: return new String[] {"ENOBUFS", "No buffer space available"};
        case 106: return new String[] {"EISCONN", "Transport endpoint is already connected"};
        case 107: return new String[] {"ENOTCONN", "Transport endpoint is not connected"};
        case 108: return new String[] {"ESHUTDOWN", "Cannot send after transport endpoint shutdown"};
        case 109: return new String[] {"ETOOMANYREFS", "Too many references: cannot splice"};
        case 110: return new String[] {"ETIMEDOUT", "Connection timed out"};
        case 111: return new String[] {"ECONNREFUSED", "Connection refused"};
        case 112: return new String[] {"EHOSTDOWN", "Host is down"};
        case 113: return new String[] {"EHOSTUNREACH", "No route to host"};
        case 114: return new String[] {"EALREADY", "Operation already in progress"};
        case 115: return new String[] {"EINPROGRESS", "Operation now in progress"};
        case 116: return new String[] {"ESTALE", "Stale file handle"};
        case 117: return new String[] {"EUCLEAN", "Structure needs cleaning"};
        case 118: return new String[] {"ENOTNAM", "Not a XENIX named type file"};
        case 119: return new String[] {"ENAVAIL", "No XENIX semaphores available"};
        case 120: return new String[] {"EISNAM", "Is a named type file"};
        case 121: return new String[] {"EREMOTEIO", "Remote I/O error"};
        case 122: return new String[] {"EDQUOT", "Disk quota exceeded"};
        case 123: return new String[] {"ENOMEDIUM", "No medium found"};
        case 124: return new String[] {"EMEDIUMTYPE", "Wrong medium type"};
        case 125: return new String[] {"ECANCELED", "Operation canceled"};
        case 126: return new String[] {"ENOKEY", "Required key not available"};
        case 127: return new String[] {"EKEYEXPIRED", "Key has expired"};
        case 128: return new String[] {"EKEYREVOKED", "Key has been revoked"};
        case 129: return new String[] {"EKEYREJECTED", "Key was rejected by service"};
        case 130: return new String[] {"EOWNERDEAD", "Owner died"};
        case 131: return new String[] {"ENOTRECOVERABLE", "State not recoverable"};
        case 132: return new String[] {"ERFKILL", "Operation not possible due to RF-kill"};
        default: return null;
        }
    }
}
