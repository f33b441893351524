// Runs first thing in <body>: tells the NHS design system's styles that its script runs here.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
