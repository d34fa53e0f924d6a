// The extension's whole suite ran on JUnit 6 and passed.
def reports = new File(basedir, 'target/surefire-reports')
def xmls = reports.listFiles().findAll { it.name.startsWith('TEST-') && it.name.endsWith('.xml') }
assert xmls.size() >= 8 : "expected the extension's test classes to run, found ${xmls*.name}"
int tests = 0
xmls.each { f ->
    def suite = new groovy.xml.XmlSlurper().parse(f)
    assert suite.@failures.toString() == '0' && suite.@errors.toString() == '0' : "${f.name}: failures=${suite.@failures} errors=${suite.@errors}"
    tests += suite.@tests.toString() as int
    // Prove the JUnit 6 jars were the ones on the class path.
    def cp = suite.properties.property.find { it.@name.toString() == 'surefire.test.class.path' }.@value.toString()
    assert cp.contains('junit-jupiter-engine-6.') : "${f.name} did not run on JUnit 6: ${cp}"
}
println "JUnit 6: ${tests} extension tests passed in ${xmls.size()} classes"
return true
