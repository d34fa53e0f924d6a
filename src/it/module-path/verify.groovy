// The @Sandboxed tests ran inside the named modules, not on the class path.
def log = new File(basedir, 'build.log').text
assert log.contains('module dev.sandboxed.core, module dev.sandboxed.junit') : 'the sandboxed modules were not named modules'
assert log.contains('2 passed, 0 failed') : 'the module-path tests did not all pass'
// Native access granted to dev.sandboxed.core: no warning from the JDK (FFM on 22+, jnr-ffi before).
assert !log.contains('WARNING: A restricted method') : 'a native access warning was printed'
assert !log.contains('sun.misc.Unsafe') : 'an Unsafe warning was printed (jnr-ffi loaded on Java 22+?)'
return true
