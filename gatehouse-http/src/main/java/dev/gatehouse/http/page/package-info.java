/**
 * The hosted waiting page that every surface with a queue serves: how a page looks and speaks
 * ({@link dev.gatehouse.http.page.PageLook}), the page on the browser SDK ({@link
 * dev.gatehouse.http.page.WaitingPage}) and its plain-HTML twin for browsers without JavaScript
 * ({@link dev.gatehouse.http.page.NoScriptPage}).
 */
@NullMarked
package dev.gatehouse.http.page;

import org.jspecify.annotations.NullMarked;
