// W3 app: validates a cron expression with node-cron and exits.
const cron = require('node-cron');
console.log('w3 app, node ' + process.version + ', cron ok: ' + cron.validate('*/2 * * * * *'));
