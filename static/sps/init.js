// Runs before the page paints so GOV.UK components hide what JavaScript will enhance. A file,
// not an inline script: the Content-Security-Policy allows no inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
