// JUnit 5.11 ran the whole suite (no NoClassDefFoundError), and the extension said once what it cannot do there.
def xml = new File(basedir, 'target/surefire-reports/TEST-example.CompatTest.xml')
assert xml.isFile() : "no Surefire XML report at ${xml}"
def suite = new groovy.xml.XmlSlurper().parse(xml)
// The suite ran on the 5.11 engine the BOM import chose, not on a newer one brought in some other way.
def classPath = suite.properties.property.find { it.@name == 'surefire.test.class.path' }.@value.toString()
def engines = classPath.split(':').findAll { it.contains('junit-jupiter-engine') }.collect { new File(it).name }
assert engines.size() == 1 && engines[0].startsWith('junit-jupiter-engine-5.11.') : "not run on JUnit Jupiter 5.11: ${engines}"
assert suite.@tests.toString() == '4' : "expected 4 tests, report says ${suite.@tests}"
assert suite.@failures.toString() == '0' && suite.@errors.toString() == '0' && suite.@skipped.toString() == '0' :
        "expected all to pass: failures=${suite.@failures} errors=${suite.@errors} skipped=${suite.@skipped}"
def log = new File(basedir, 'build.log').text
assert !log.contains('NoClassDefFoundError') : 'a NoClassDefFoundError reached the build log'
assert log.contains('is older than 5.12') && log.contains('is older than 5.14') : 'no line saying what this JUnit lacks'
return true
