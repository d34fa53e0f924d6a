module example.modular {
    requires dev.sandboxed.junit;
    requires org.junit.platform.launcher;

    // JUnit and the extension reach the test class and its fields reflectively.
    opens example.modular to org.junit.platform.commons, dev.sandboxed.junit;
}
