// Surefire ran the jvm = true tests, all passed, and they ran where only the hermetic path puts them.
def xml = new File(basedir, 'target/surefire-reports/TEST-example.HermeticTest.xml')
assert xml.isFile() : "no Surefire XML report at ${xml}"
def suite = new groovy.xml.XmlSlurper().parse(xml)
assert suite.@tests.toString() == '3' : "expected 3 tests, report says ${suite.@tests}"
assert suite.@failures.toString() == '0' && suite.@errors.toString() == '0' && suite.@skipped.toString() == '0' :
        "expected all to pass: failures=${suite.@failures} errors=${suite.@errors} skipped=${suite.@skipped}"
def log = new File(basedir, 'build.log').text
// Printed by the sandboxed JVM: in place, neither PID 1 nor Surefire's parent is sandbox-init.
assert log =~ /hermetic-it: test JVM pid \d+, a child of sandbox-init; PID 1 is sandbox-init/ :
        'the sandboxed JVM did not say it ran under sandbox-init'
assert log.contains('hermetic-it: wrote /tmp/') : 'the @TempDir test did not print its file'
assert !new File(basedir, 'target/escaped-from-sandbox.txt').exists() : 'a sandboxed test wrote the project directory'
// Each invocation, dynamic test and nested test ran in its own sandboxed JVM.
def reports = new File(basedir, 'target/surefire-reports').listFiles().findAll { it.name ==~ /TEST-example\.ConstructsTest.*\.xml/ }
def counts = reports.collect { new groovy.xml.XmlSlurper().parse(it) }
        .collect { [it.@tests.toInteger(), it.@failures.toInteger() + it.@errors.toInteger() + it.@skipped.toInteger()] }
assert counts.sum { it[0] } == 5 && counts.sum { it[1] } == 0 :
        "expected 5 passing tests in ConstructsTest (2 invocations, 2 dynamic, 1 nested): ${reports} say ${counts}"
['parameter alpha', 'parameter beta', 'dynamic one', 'dynamic two', 'nested'].each {
    assert log.contains("hermetic-it: ${it} under sandbox-init") : "'${it}' did not run under sandbox-init"
}
// The class-data archive of the class path's jars was made once, in the build's target directory.
def archives = new File(basedir, 'target/sandboxed-cds').listFiles()?.findAll { it.name.endsWith('.jsa') } ?: []
assert archives.size() == 1 : "expected one class-data archive in target/sandboxed-cds, found ${archives}"
// Surefire's JVM has the native access flag, and the sandboxed JVMs grant it themselves (Java 22+ warns otherwise).
assert !log.contains('A restricted method') : 'a JVM warned about native access'
return true
