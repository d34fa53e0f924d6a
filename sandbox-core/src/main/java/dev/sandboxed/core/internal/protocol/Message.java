package dev.sandboxed.core.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A protocol message: fields of (u32 tag, u32 length, bytes), native byte order, the first being
 * the kind. Built with the {@code put} methods or parsed from received bytes.
 */
public final class Message {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** One field of a parsed message. */
    public record Field(int tag, byte[] data) {
        public int u32() {
            return ByteBuffer.wrap(data).order(ORDER).getInt();
        }

        public int u32(int offset) {
            return ByteBuffer.wrap(data).order(ORDER).getInt(offset);
        }

        public long u64(int offset) {
            return ByteBuffer.wrap(data).order(ORDER).getLong(offset);
        }

        public String string() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final ByteArrayOutputStream out;
    private final List<Field> fields;

    private Message(ByteArrayOutputStream out, List<Field> fields) {
        this.out = out;
        this.fields = fields;
    }

    public static Message of(int kind) {
        Message m = new Message(new ByteArrayOutputStream(256), new ArrayList<>());
        return m.putU32(Protocol.F_KIND, kind);
    }

    /** Fields without a kind: what an argument memfd holds (F_ARG and F_ENV, see F_ARGV_MEMFD in protocol.h). */
    public static Message fields(int initialCapacity) {
        return new Message(new ByteArrayOutputStream(initialCapacity), new ArrayList<>());
    }

    public static Message parse(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ORDER);
        List<Field> fields = new ArrayList<>();
        while (buf.remaining() >= 8) {
            int tag = buf.getInt();
            int len = buf.getInt();
            if (len < 0 || len > buf.remaining()) {
                break;
            }
            byte[] data = new byte[len];
            buf.get(data);
            fields.add(new Field(tag, data));
        }
        return new Message(null, Collections.unmodifiableList(fields));
    }

    public Message put(int tag, byte[] data) {
        ByteBuffer header = ByteBuffer.allocate(8).order(ORDER);
        header.putInt(tag).putInt(data.length);
        out.writeBytes(header.array());
        out.writeBytes(data);
        fields.add(new Field(tag, data));
        return this;
    }

    public Message putU32(int tag, int value) {
        return put(tag, ByteBuffer.allocate(4).order(ORDER).putInt(value).array());
    }

    public Message putU64(int tag, long value) {
        return put(tag, ByteBuffer.allocate(8).order(ORDER).putLong(value).array());
    }

    public Message putString(int tag, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("NUL byte in protocol string: " + value);
            }
        }
        return put(tag, bytes);
    }

    /** NUL-terminated strings one after another (argv for newuidmap, mount operation strings). */
    public static byte[] nulSeparated(List<String> values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String v : values) {
            b.writeBytes(v.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    /** Appends the fields of {@code other}, in their order. */
    public Message putFields(Message other) {
        try {
            other.out.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // one byte array into another: cannot happen
        }
        fields.addAll(other.fields);
        return this;
    }

    /** The encoded size in bytes. */
    public int size() {
        return out.size();
    }

    public byte[] toBytes() {
        return out.toByteArray();
    }

    public int kind() {
        return find(Protocol.F_KIND).map(Field::u32).orElse(0);
    }

    public String kindName() {
        return "message " + kind();
    }

    public List<Field> fields() {
        return fields;
    }

    public Optional<Field> find(int tag) {
        for (Field f : fields) {
            if (f.tag() == tag) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    public int u32(int tag, int fallback) {
        return find(tag).map(Field::u32).orElse(fallback);
    }

    public String string(int tag, String fallback) {
        return find(tag).map(Field::string).orElse(fallback);
    }
}
