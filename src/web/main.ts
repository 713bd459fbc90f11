import { DemoApp } from './demo-app.ts';

// The page's entry point (index.html): everything else is wired in DemoApp.
void new DemoApp(new URLSearchParams(location.search)).start();
