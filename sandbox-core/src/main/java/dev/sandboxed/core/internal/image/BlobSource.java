package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;

/** Where manifests and blobs come from: a registry or an OCI layout. The caller verifies every digest. */
public interface BlobSource {

    /** The manifest or index the source names, with its digest (checked against a pinned digest already). */
    Fetched top() throws IOException;

    /** A manifest by digest (an index's entry); the caller verifies the digest. */
    byte[] manifest(String digest) throws IOException;

    /** A blob's bytes, streamed; the caller verifies the digest while reading. */
    InputStream blob(String digest) throws IOException;

    /** For messages: the registry and repository, or the layout directory. */
    String describe();

    record Fetched(byte[] data, String contentType, String digest) {}
}
