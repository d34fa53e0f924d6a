// The @Sandboxed tests ran inside the named modules, not on the class path.
def log = new File(basedir, 'build.log').text
assert log.contains('module dev.sandboxed.core, module dev.sandboxed.junit') : 'the sandboxed modules were not named modules'
assert log.contains('2 passed, 0 failed') : 'the module-path tests did not all pass'
// Native access granted to dev.sandboxed.core: the run printed no JDK warning (FFM on Java 22+: no jffi JNI load or
// Unsafe use either; jnr-ffi before 22, which warns about neither). Maven's own warnings come before the run.
def run = log.substring(log.indexOf('exec-maven-plugin'))
assert !run.contains('WARNING: A restricted method') : 'a native access warning was printed'
assert !run.contains('com.kenai.jffi') : 'jffi was loaded and warned on Java ' + Runtime.version().feature()
return true
