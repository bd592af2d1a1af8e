import nodemailer from 'nodemailer'
import {noticeSubject, noticeText} from './message.js'
import type {EmailChannel, Notice} from './types.js'

/** Sends one notice through the channel's SMTP server (nodemailer; STARTTLS when offered, TLS from the start with secure). */
export async function sendEmail(channel: EmailChannel, notice: Notice, password?: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: channel.host,
    port: channel.port ?? (channel.secure ? 465 : 587),
    secure: channel.secure ?? false,
    ...(channel.user ? {auth: {user: channel.user, pass: password ?? ''}} : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  })
  try {
    await transport.sendMail({
      from: channel.from,
      to: channel.to,
      subject: noticeSubject(notice),
      text: noticeText(notice),
      headers: {'X-Odoops-Job': notice.job, 'X-Odoops-Notice': notice.type},
    })
  } finally {
    transport.close()
  }
}
